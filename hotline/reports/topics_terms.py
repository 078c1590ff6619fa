"""Writing each ticket's terms once: after intake's commit, and a backfill for the rest.

Segmenting a month of a big city's tickets (80,000) with jieba takes tens of seconds, so it
is never done at request time: a receiver of ``ticket_created`` enqueues
``write_terms(ticket_id)``, run by a worker after the intake's commit (see
:func:`on_ticket_created` for the embedded mode). The periodic ``backfill_job`` (and
``flask --app wsgi topics backfill``) analyses the tickets that a lost job, an import or a
new analyser version left without current terms. Both are idempotent and safe to run at
once: the ``ticket_term_sets`` row is claimed with an INSERT ... ON CONFLICT DO NOTHING (or
a conditional UPDATE for an older version), and only the copy that claimed it writes the
terms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..core import clock, jobs, signals
from ..core.db import upsert_insert
from ..core.redis import get_redis
from ..extensions import db
from ..tickets.models import Ticket
from .topics_lexicon import ANALYZER_VERSION, analyse
from .topics_models import TicketTerm, TicketTermSet

log = logging.getLogger(__name__)

BATCH = 500
JOB_PATH = "hotline.reports.topics_terms.write_terms"


def connect() -> None:
    signals.ticket_created.connect(on_ticket_created)


def on_ticket_created(ticket, *, now, **_):
    """Queue the new ticket's terms; the job runs after the intake's commit.

    Without Redis a job runs inline, in the intake request itself (jieba and four more
    statements on the product's busiest write): there the embedded timer's backfill (every
    10 minutes) and the spike run (which analyses its window first) write them instead,
    unless ``TOPICS_TERMS_INLINE`` asks for the inline job."""
    if get_redis() is None and not current_app.config.get("TOPICS_TERMS_INLINE"):
        return
    jobs.enqueue(JOB_PATH, ticket.id, queue="default", job_id=f"ticket-terms-{ticket.id}", description="ticket terms")


def extra_stop_words() -> frozenset[str]:
    """The centre's own stop words (``TOPICS_STOP_WORDS``: the city's name ...), space-separated."""
    raw = current_app.config.get("TOPICS_STOP_WORDS") or ""
    return frozenset(raw.split()) if isinstance(raw, str) else frozenset(raw)


def write_terms(ticket_id: int) -> int:
    """The job: analyse one ticket if it has no current terms. Returns the terms written."""
    return analyse_tickets([ticket_id], now=clock.now())


def analyse_tickets(ticket_ids: Iterable[int], *, now: datetime) -> int:
    """Write the terms of those of ``ticket_ids`` without current ones; flushes, never commits."""
    ids = sorted(set(ticket_ids))
    written = 0
    stop = extra_stop_words()
    for start in range(0, len(ids), BATCH):
        written += _analyse_batch(ids[start : start + BATCH], now=now, stop=stop)
    return written


def _analyse_batch(ids: list[int], *, now: datetime, stop: frozenset[str]) -> int:
    tickets = db.session.execute(
        select(
            Ticket.id, Ticket.content, Ticket.created_at, Ticket.category_id, Ticket.area_unit_id, Ticket.caller_id
        ).where(Ticket.id.in_(ids))
    ).all()
    if not tickets:
        return 0
    analysed = {t.id: analyse(t.content or "", extra_stop_words=stop) for t in tickets}
    claimed = _claim(analysed, now=now)
    if not claimed:
        return 0
    # A ticket analysed by an older version: its old terms go (a new ticket has none).
    db.session.execute(delete(TicketTerm).where(TicketTerm.ticket_id.in_(claimed)))
    rows = [
        {
            "ticket_id": t.id,
            "term": term,
            "weight": weight,
            "created_at": t.created_at,
            "category_id": t.category_id,
            "area_unit_id": t.area_unit_id,
            "caller_id": t.caller_id,
        }
        for t in tickets
        if t.id in claimed
        for term, weight in analysed[t.id]
    ]
    for start in range(0, len(rows), BATCH):
        db.session.execute(
            upsert_insert(TicketTerm)
            .values(rows[start : start + BATCH])
            .on_conflict_do_nothing(index_elements=["ticket_id", "term"])
        )
    db.session.flush()
    return len(rows)


def _claim(analysed: dict[int, list], *, now: datetime) -> set[int]:
    """Take the right to write these tickets' terms: a new set row, or an older version's."""
    values = [
        {"ticket_id": tid, "version": ANALYZER_VERSION, "term_count": len(terms), "analysed_at": now}
        for tid, terms in analysed.items()
    ]
    claimed = set(
        db.session.scalars(
            upsert_insert(TicketTermSet)
            .values(values)
            .on_conflict_do_nothing(index_elements=["ticket_id"])
            .returning(TicketTermSet.ticket_id)
        )
    )
    for tid in set(analysed) - claimed:
        result = db.session.execute(
            update(TicketTermSet)
            .where(TicketTermSet.ticket_id == tid, TicketTermSet.version < ANALYZER_VERSION)
            .values(version=ANALYZER_VERSION, term_count=len(analysed[tid]), analysed_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            claimed.add(tid)
    return claimed


def missing_ids(*, limit: int, since: datetime | None = None) -> list[int]:
    """Tickets without current terms, newest first (spikes need the recent ones soonest)."""
    stmt = (
        select(Ticket.id)
        .outerjoin(TicketTermSet, TicketTermSet.ticket_id == Ticket.id)
        .where(or_(TicketTermSet.ticket_id.is_(None), TicketTermSet.version < ANALYZER_VERSION))
        .order_by(Ticket.id.desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(Ticket.created_at >= since)
    return list(db.session.scalars(stmt))


def backfill(*, now: datetime, limit: int = 5000, since: datetime | None = None) -> int:
    """Analyse up to ``limit`` tickets without current terms; returns how many were looked at."""
    ids = missing_ids(limit=limit, since=since)
    analyse_tickets(ids, now=now)
    return len(ids)


def backfill_job() -> int:
    """The periodic job: the tickets a lost job or a new analyser version left behind."""
    done = backfill(now=clock.now(), limit=5000)
    if done:
        log.info("ticket terms: analysed %s tickets", done)
    return done
