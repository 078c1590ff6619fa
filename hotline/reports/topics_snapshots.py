"""Snapshots of closed periods' hot topics, so that a bulletin or a page reads them cheaply.

Computing a month's topics at a big city's scale reads a few hundred thousand term rows
(seconds); a closed month's answer does not change unless its terms do. The hourly job
``refresh_job`` stores the last two closed months' topics (no filters); ``lookup`` returns
a snapshot only when its watermark (the number of term rows of the period and of the period
compared with) is still the same, so a late backfill or a new analyser version is never
hidden. Filtered requests and running periods are computed each time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..core import clock
from ..core.db import upsert_insert
from ..extensions import db
from . import topics
from .topics_lexicon import ANALYZER_VERSION
from .topics_models import HotTopicSnapshot, TicketTerm

log = logging.getLogger(__name__)

SNAPSHOT_LIMIT = 20
MONTHS = 2


def _key(period, before, category_id, area_unit_id, max_tickets) -> str:
    parts = [period.start, period.end, before.start, before.end]
    stamps = "|".join(p.strftime("%Y%m%dT%H%M") for p in parts)
    return f"v{ANALYZER_VERSION}|{stamps}|c{category_id or ''}|a{area_unit_id or ''}|t{max_tickets}"


def watermark(period, before, category_id, area_unit_id) -> str:
    counts = []
    for p in (period, before):
        stmt = select(func.count()).where(TicketTerm.created_at >= p.start, TicketTerm.created_at < p.end)
        if category_id is not None:
            stmt = stmt.where(TicketTerm.category_id == category_id)
        if area_unit_id is not None:
            stmt = stmt.where(TicketTerm.area_unit_id == area_unit_id)
        counts.append(str(db.session.scalar(stmt) or 0))
    return ":".join(counts)


def lookup(period, before, category_id, area_unit_id, max_tickets, *, limit: int) -> list[dict] | None:
    """The stored topics of a closed period, if still current and long enough; else None."""
    if category_id is not None or area_unit_id is not None:
        return None
    snap = db.session.scalar(
        select(HotTopicSnapshot).where(
            HotTopicSnapshot.key == _key(period, before, category_id, area_unit_id, max_tickets)
        )
    )
    if snap is None or snap.topic_limit < limit:
        return None
    if snap.watermark != watermark(period, before, category_id, area_unit_id):
        return None
    return list(snap.payload)[:limit]


def store(period, *, now: datetime, max_tickets: int = topics.MAX_TICKETS) -> bool:
    """Compute and store a closed period's topics unless a current snapshot exists."""
    before = period.previous()
    key = _key(period, before, None, None, max_tickets)
    mark = watermark(period, before, None, None)
    current = db.session.scalar(select(HotTopicSnapshot.watermark).where(HotTopicSnapshot.key == key))
    if current == mark:
        return False
    payload = topics.compute(
        period, now=now, limit=SNAPSHOT_LIMIT, category_id=None, area_unit_id=None, previous=before,
        max_tickets=max_tickets,
    )  # fmt: skip
    values = {
        "period_start": period.start,
        "period_end": period.end,
        "topic_limit": SNAPSHOT_LIMIT,
        "watermark": mark,
        "payload": payload,
        "computed_at": now,
    }
    db.session.execute(
        upsert_insert(HotTopicSnapshot)
        .values(key=key, **values)
        .on_conflict_do_update(index_elements=["key"], set_=values)
    )
    db.session.flush()
    return True


def refresh_job() -> int:
    """The hourly job: the last ``MONTHS`` closed months (in the centre's zone)."""
    now = clock.now()
    tz_name = current_app.config["TIMEZONE"]
    period = topics.month_period(clock.local(now).strftime("%Y-%m"), tz_name)
    stored = 0
    for _ in range(MONTHS):
        period = period.previous()
        if store(period, now=now):
            stored += 1
            db.session.commit()  # one month at a time: a long run keeps what it finished
            log.info("hot topics of %s stored", period.label)
    return stored
