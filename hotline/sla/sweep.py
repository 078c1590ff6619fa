"""The deadline watch: record every passed warning, deadline and red-card point exactly once.

For each deadline whose ``next_check_at`` has passed (a range scan on an index, so the
cost follows the number of deadlines due, not the number open), and for each of its
points passed since, the sweep inserts a ``deadline_records`` row with
``INSERT ... ON CONFLICT (deadline_id, kind) DO NOTHING``. Only the sweep whose insert
took the row (RETURNING gives its id) sends ``signals.deadline_passed``; a concurrent
sweep, a re-delivered rq job or a sweep that runs again after a worker was killed finds
the row and does nothing. The database is the truth, not "the job ran once". On
PostgreSQL, concurrent sweeps also skip the rows another sweep has locked (``FOR UPDATE
SKIP LOCKED``), which only spreads the work: exactly-once rests on the unique constraint,
which SQLite enforces as well.

The watch knows ticket ids only. What a passed point means for the ticket is the tickets
domain's business: its receiver of ``deadline_passed`` (:mod:`hotline.tickets.receivers`)
appends the ticket's events (预警, 超时 + 黄牌, 红牌) and sends ``signals.deadline_reached``
to supervision and notifications, all in the same savepoint as the record.

A point is passed when ``now > point`` (see :mod:`hotline.sla.arithmetic`).

:func:`run_sweep` is a transaction boundary: it commits after each batch, so a sweep
killed halfway keeps what it recorded and the next one carries on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..core import clock, signals
from ..core.db import upsert_insert
from ..extensions import db
from ..units.models import Unit
from . import arithmetic, calendars
from .models import DEADLINE_KIND_LABELS, Deadline, DeadlineKind, DeadlineRecord, PointKind
from .services import POINTS, eligible, next_check

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recorded:
    ticket_id: int
    ticket_number: str  # as the receiver of ``deadline_passed`` returned it ("#<id>" if none did)
    deadline_kind: str
    kind: str
    unit: str
    point_at: datetime


@dataclass
class SweepResult:
    now: datetime
    recorded: list[Recorded] = field(default_factory=list)
    deadlines_checked: int = 0
    batches: int = 0
    failed: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {k.value: 0 for k in PointKind}
        for r in self.recorded:
            counts[r.kind] += 1
        return counts


def sweep_batch(now: datetime, *, limit: int, skip_ids=()) -> tuple[int, list[Recorded], list[int]]:
    """Check up to ``limit`` deadlines due at ``now``; never commits.

    Returns (deadlines checked, what this call recorded, ids of deadlines that failed).
    A deadline whose receivers raise is rolled back to its savepoint, logged with the
    traceback and left due, so the next sweep tries it again; the others go on.
    """
    stmt = select(Deadline).where(Deadline.next_check_at < now)
    if skip_ids:
        stmt = stmt.where(Deadline.id.not_in(list(skip_ids)))
    stmt = stmt.order_by(Deadline.next_check_at, Deadline.id).limit(limit).options(lazyload("*"))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = db.session.scalars(stmt).all()
    if not due:
        return 0, [], []
    units = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_({d.unit_id for d in due}))).all())
    recorded: list[Recorded] = []
    failed: list[int] = []
    for deadline in due:
        try:
            with db.session.begin_nested():
                recorded.extend(_sweep_one(deadline, units[deadline.unit_id], now))
        except Exception:
            log.exception(
                "deadline %s of ticket %s: recording failed; retried next sweep", deadline.id, deadline.ticket_id
            )
            failed.append(deadline.id)
    db.session.flush()
    return len(due), recorded, failed


def _sweep_one(deadline: Deadline, unit_code: str, now: datetime) -> list[Recorded]:
    recorded = []
    processed = set()
    for kind in POINTS:
        point = deadline.point(kind)
        if not eligible(deadline, kind) or not arithmetic.is_passed(point, now):
            continue
        processed.add(kind.value)
        inserted = db.session.execute(
            upsert_insert(DeadlineRecord)
            .values(
                deadline_id=deadline.id,
                kind=kind.value,
                ticket_id=deadline.ticket_id,
                unit_id=deadline.unit_id,
                point_at=point,
                recorded_at=now,
            )
            .on_conflict_do_nothing(index_elements=["deadline_id", "kind"])
            .returning(DeadlineRecord.id)
        ).scalar_one_or_none()
        if inserted is None:
            continue  # recorded by another sweep: nothing more to do
        data = {
            "deadline_id": deadline.id,
            "deadline": deadline.kind,
            "deadline_label": DEADLINE_KIND_LABELS[DeadlineKind(deadline.kind)],
            "sequence": deadline.sequence,
            "unit": unit_code,
            "due_at": clock.isoformat(deadline.due_at),
            "point_at": clock.isoformat(point),
        }
        replies = signals.deadline_passed.send(
            deadline, ticket_id=deadline.ticket_id, kind=kind.value, unit_id=deadline.unit_id, now=now, data=data
        )
        number = next((str(value) for _receiver, value in replies if value), f"#{deadline.ticket_id}")
        recorded.append(Recorded(deadline.ticket_id, number, deadline.kind, kind.value, unit_code, point))
    # Every passed point is recorded now (by this sweep or another): the next is ahead.
    deadline.next_check_at = next_check(deadline, recorded=processed)
    db.session.flush()
    return recorded


def run_sweep(
    now: datetime | None = None,
    *,
    batch_size: int | None = None,
    pause: float | None = None,
) -> SweepResult:
    """One full sweep as of ``now``, committing after every batch (a transaction boundary:
    call it from a job, the CLI or the timer, never from inside a request's transaction)."""
    config = current_app.config
    now = now or clock.now()
    batch_size = batch_size or config.get("SWEEP_BATCH_SIZE", 500)
    pause = config.get("SWEEP_BATCH_PAUSE_SECONDS", 0) if pause is None else pause
    result = SweepResult(now=now)
    calendars.check_coverage(now)
    db.session.commit()
    while True:
        checked, recorded, failed = sweep_batch(now, limit=batch_size, skip_ids=result.failed)
        db.session.commit()
        result.batches += 1
        result.deadlines_checked += checked
        result.recorded.extend(recorded)
        result.failed.extend(failed)
        if checked < batch_size:
            break
        if pause:
            time.sleep(pause)
    if result.recorded or result.failed:
        log.info("sweep as of %s: recorded %s; failed deadlines %s", now.isoformat(), result.counts(), result.failed)
    return result
