"""The demo knowledge base: articles written for this project (``data/demo_articles.jsonl``)
on common 12345 topics, and the default synonym groups (``data/synonyms.json``).

Loaded by ``flask --app wsgi demo seed`` through the real workflow: the knowledge editor
``kb1`` writes and submits, ``admin`` publishes. Idempotent: an article whose external id
exists, or a synonym group sharing a term with an existing one, is not added again.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hotline.accounts.models import User
from hotline.extensions import db

from . import services
from .models import Article, SynonymGroup

DATA = Path(__file__).with_name("data")
EDITOR, PUBLISHER = "kb1", "admin"


def load_articles() -> list[dict]:
    with open(DATA / "demo_articles.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_synonyms() -> list[list[str]]:
    with open(DATA / "synonyms.json", encoding="utf-8") as handle:
        return json.load(handle)


def seed_synonyms(now: datetime) -> int:
    known = {term for terms in db.session.scalars(select(SynonymGroup.terms)) for term in terms}
    added = 0
    for terms in load_synonyms():
        if known & set(terms):
            continue
        services.create_synonyms(actor=None, now=now, terms=terms)
        known |= set(terms)
        added += 1
    return added


def seed_knowledge_base(now: datetime) -> tuple[str, int]:
    """The demo seed's knowledge-base section: (label, articles added)."""
    seed_synonyms(now)
    editor = db.session.scalar(select(User).where(User.username == EDITOR))
    publisher = db.session.scalar(select(User).where(User.username == PUBLISHER))
    existing = set(db.session.scalars(select(Article.external_id).where(Article.external_id.is_not(None))))
    added = 0
    for item in load_articles():
        if item["id"] in existing:
            continue
        review_by = date.fromisoformat(item["review_by"]) if item.get("review_by") else now.date() + timedelta(days=365)
        article = services.create_article(
            actor=editor,
            now=now,
            title=item["title"],
            body=item["body"],
            category=item.get("category"),
            keywords=item.get("keywords", []),
            owner_unit=item.get("owner_unit"),
            effective_on=date(2026, 1, 1),
            review_by=review_by,
            external_id=item["id"],
        )
        services.submit(article, actor=editor, now=now)
        services.publish(article, actor=publisher, now=now)
        added += 1
    return "knowledge-base articles added", added
