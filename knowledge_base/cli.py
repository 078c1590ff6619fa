"""`flask --app wsgi kb ...`: import, export, reindex, embed, review dates. One transaction per command."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from typing import Annotated, Literal

import click
from flask import current_app
from flask.cli import AppGroup
from pydantic import AwareDatetime, Field
from sqlalchemy import select

from hotline.core import clock
from hotline.core.db import read_only
from hotline.core.errors import DomainError
from hotline.core.redis import get_redis
from hotline.core.validation import Code, Line, Schema, Text, validate
from hotline.extensions import db

from . import indexing, queries, services, vectors
from .models import STATUSES, Article, Status

kb_cli = AppGroup("kb", help="The knowledge base: import, export, reindex, review dates.")

# A bigger batch than this is indexed by a full rebuild (faster than replacing documents one by one).
REBUILD_ABOVE = 500
REINDEX_PROCS = 4  # indexing processes of a full rebuild from a command, at most
PARALLEL_ABOVE = 2000  # articles from which a command's full rebuild uses several processes

# How `kb export` names an article that has no external id: "kb-<its id in this database>",
# written with the article's created_at. A line with both (id and created_at) updates that
# article; the created_at makes sure it is the same article and not another database's
# article with the same number. Any other id is an external id.
INTERNAL_ID = re.compile(r"kb-([1-9][0-9]{0,8})")  # within an INTEGER column


class ImportLine(Schema):
    id: Line(128)
    title: Line(200)
    body: Text(50000)
    category: Code | None = None
    keywords: list[Line(40)] = Field(default_factory=list, max_length=20)
    # The status of a new article (published when absent; --draft makes every new one a
    # draft). An existing article keeps its status: statuses change through the workflow.
    status: Literal[STATUSES] | None = None  # type: ignore[valid-type]
    created_at: Annotated[AwareDatetime, Field(strict=False)] | None = None
    # Written by `kb export`; accepted so that an export re-imports, but not applied
    # (editors set units and dates through the API).
    owner_unit: Code | None = None
    effective_on: Line(10) | None = None
    review_by: Line(10) | None = None


def parse_lines(lines) -> tuple[list[tuple[int, ImportLine]], list[tuple[int, str]]]:
    """Parse JSON lines (bytes, decoded as strict UTF-8, a byte-order mark allowed on the first
    line; or text); returns the good ones and (line number, reason) for the bad ones."""
    good, bad = [], []
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                bad.append((number, "not UTF-8 text (save the file as UTF-8)"))
                continue
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, too many digits, too deep
            bad.append((number, f"not JSON: {getattr(exc, 'msg', None) or exc}"))
            continue
        if not isinstance(data, dict):
            bad.append((number, "not a JSON object"))
            continue
        try:
            good.append((number, validate(ImportLine, data)))
        except DomainError as exc:
            bad.append((number, exc.message))
    return good, bad


def import_file(path: str, *, draft: bool, echo=click.echo, progress: bool = True, embed: bool = True) -> dict:
    """Import a JSONL file, commit, and index what changed before returning. Returns counts.

    The changed articles' semantic vectors are then computed here without Redis (``embed``),
    or queued for the ``kb_vectors`` workers with it.
    """
    with open(path, "rb") as handle:
        good, bad = parse_lines(handle)
    for number, reason in bad:
        echo(f"line {number}: {reason} (skipped)", err=True)
    existing = {a.external_id: a for a in db.session.scalars(select(Article).where(Article.external_id.is_not(None)))}
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": len(bad)}
    now = clock.now()
    with click.progressbar(good, label="importing", file=sys.stderr if progress else _Null()) as bar:
        for number, line in bar:
            found = exported_article(line) or existing.get(line.id)
            try:
                with db.session.begin_nested():
                    article, outcome = services.import_article(
                        found,
                        now=now,
                        external_id=line.id,
                        title=line.title,
                        body=line.body,
                        category=line.category,
                        keywords=line.keywords,
                        status=Status.DRAFT if draft else (line.status or Status.PUBLISHED),
                    )
            except DomainError as exc:
                echo(f"line {number}: {exc.message} (skipped)", err=True)
                counts["failed"] += 1
                continue
            if article.external_id is not None:
                existing[article.external_id] = article
            if found is not None and line.status is not None and line.status != article.status:
                echo(f"line {number}: status {line.status} not applied, the article stays {article.status}", err=True)
            counts[outcome] += 1
    ids = services.take_index_requests()
    db.session.commit()
    index_now(ids, progress=progress)
    if embed:
        embed_now(ids, echo=echo, progress=progress)
    return counts


def embed_now(ids: list[int], *, echo=click.echo, progress: bool = True) -> None:
    """Semantic vectors for these articles: queued with Redis, computed here without it."""
    app = current_app._get_current_object()
    if not ids or not app.config.get("KB_SEMANTIC"):
        return
    if get_redis(app) is not None:
        jobs = vectors.schedule(ids, app)
        echo(f"semantic vectors: {len(ids)} article(s) queued in {jobs} job(s) on the kb_vectors queue", err=True)
        return
    if not vectors.enabled(app):
        echo("semantic vectors: the model is not installed; search stays lexical", err=True)
        return
    embed_missing(ids, progress=progress)


def embed_missing(ids: list[int] | None = None, *, progress: bool = True) -> int:
    """Embed these articles (default: every one without a current vector) here, with a bar."""
    todo = vectors.missing_ids() if ids is None else ids
    with click.progressbar(length=len(todo), label="embedding", file=sys.stderr if progress else _Null()) as bar:
        return vectors.embed_missing(todo, progress=bar.update)


def exported_article(line: ImportLine) -> Article | None:
    """The article without an external id that `kb export` wrote as this line, if it is in this database."""
    match = INTERNAL_ID.fullmatch(line.id)
    if match is None or line.created_at is None:
        return None
    article = db.session.get(Article, int(match[1]))
    if article is None or article.external_id is not None or article.created_at != line.created_at:
        return None
    return article


def index_now(ids: list[int], *, progress: bool = True) -> None:
    """Index these articles in this process, so that they are searchable when the command ends."""
    if not ids:
        return
    if len(ids) > REBUILD_ABOVE or indexing.get_index().current_name() is None:
        rebuild(progress=progress)
    else:
        indexing.update_articles(ids)


def rebuild(*, progress: bool = True, procs: int | None = None) -> int:
    """A full rebuild from a command: in ``procs`` processes, as a command runs in one thread
    (see ``SearchIndex.build``). By default one per core, at most ``REINDEX_PROCS``, from
    ``PARALLEL_ABOVE`` articles up (fewer are indexed in a few seconds by one)."""
    with read_only():  # reads only: never hold SQLite's write lock for the length of a rebuild
        total = indexing.article_count()
        if procs is None:
            procs = min(os.cpu_count() or 1, REINDEX_PROCS) if total >= PARALLEL_ABOVE else 1
        with click.progressbar(length=total, label="indexing", file=sys.stderr if progress else _Null()) as bar:
            result = indexing.rebuild(progress=bar.update, procs=procs)
    return result[1] if result else 0


class _Null:
    def write(self, text):
        return len(text)

    def flush(self):
        return None

    def isatty(self):
        return False


@kb_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--draft", is_flag=True, help="Import new articles as drafts, whatever their status.")
@click.option(
    "--no-vectors",
    is_flag=True,
    help="Do not compute the semantic vectors now (`kb embed` or the hourly job does it later).",
)
def import_command(path, draft, no_vectors):
    """Import articles from a JSON-lines file ({"id", "title", "body", "category"?, "keywords"?, "status"?} per line).

    The id is kept as the article's external id: importing again updates those articles.
    A new article takes the line's status (draft, in_review, published, retired; published
    when absent, draft with --draft); an existing one keeps its status.

    What `kb export` writes imports back unchanged: an article without an external id is
    exported as "kb-<its id>" with its "created_at", and a line with both updates that
    article. In another database no article matches them: the line creates one with
    "kb-<id>" as its external id, which later imports update.

    Bad lines are reported with their line number; the others are imported. The articles
    are searchable when the command returns; their semantic vectors are computed here
    without Redis (about 50 articles a second on two cores) or queued for the kb_vectors
    workers with it, and search ranks an article lexically until its vector exists.
    """
    counts = import_file(path, draft=draft, embed=not no_vectors)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
    if counts["failed"]:
        sys.exit(1)


@kb_cli.command("export")
@click.argument("path", required=False, type=click.Path(dir_okay=False, writable=True))
def export_command(path):
    """Write every article as JSON lines to PATH (default: standard output), for `kb import`.

    An article without an external id is written as "kb-<its id>" with its "created_at":
    importing the file into the same database changes nothing. The progress bar is on
    standard error.
    """
    count = 0
    with read_only(), open(path, "w", encoding="utf-8") if path else contextlib.nullcontext(sys.stdout) as out:
        total = indexing.article_count()
        articles = db.session.scalars(select(Article).order_by(Article.id).execution_options(yield_per=500))
        with click.progressbar(articles, length=total, label="exporting", file=sys.stderr) as bar:
            for article in bar:
                out.write(json.dumps(export_record(article), ensure_ascii=False) + "\n")
                count += 1
    click.echo(f"exported {count} articles", err=True)


def export_record(article) -> dict:
    return {
        "id": article.external_id or f"kb-{article.id}",
        "created_at": article.created_at.isoformat(),
        "title": article.title,
        "body": article.body,
        "category": article.category.code if article.category else None,
        "keywords": list(article.keywords or []),
        "status": article.status,
        "owner_unit": article.owner_unit.code if article.owner_unit else None,
        "effective_on": article.effective_on.isoformat() if article.effective_on else None,
        "review_by": article.review_by.isoformat() if article.review_by else None,
    }


@kb_cli.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help=f"Indexing processes (default: one per core, at most {REINDEX_PROCS}, from {PARALLEL_ABOVE} articles up).",
)
def reindex_command(procs):
    """Rebuild the search index from the database into a fresh directory and swap it in."""
    count = rebuild(procs=procs)
    click.echo(f"indexed {count} articles")


@kb_cli.command("embed")
def embed_command():
    """Compute here the semantic vectors of every article whose text changed since its last one."""
    if not vectors.enabled():
        raise click.ClickException("semantic search is off (HOTLINE_KB_SEMANTIC) or its model is not installed")
    vectors.lower_priority()  # minutes of CPU: the web processes beside it come first
    done = embed_missing()
    have, total = vectors.coverage()
    click.echo(f"embedded {done} articles; {have} of {total} have a vector")


@kb_cli.command("review-due")
@click.option(
    "--flag",
    is_flag=True,
    help="Also flag each article for editors and tell its owner unit (what the hourly job does).",
)
def review_due_command(flag):
    """List published articles past their review-by date, with the owning unit."""
    now = clock.now()
    today = clock.local(now).date()
    articles = queries.due_for_review(today)
    for article in articles:
        unit = article.owner_unit.name if article.owner_unit else "（未指定单位）"
        click.echo(f"{article.id}\t{article.review_by.isoformat()}\t{unit}\t{article.title}")
    if flag:
        added = services.flag_review_due(now=now, today=today)
        db.session.commit()
        click.echo(f"{added} newly flagged", err=True)
    click.echo(f"{len(articles)} article(s) due for review", err=True)
