"""Reading running deadlines for lists: the countdowns of a page of tickets in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from .countdown import Countdown, countdown
from .models import DEADLINE_KIND_LABELS, Deadline, DeadlineKind

TICKET_CLOCKS = (DeadlineKind.ACCEPT.value, DeadlineKind.REPLY.value)
_ORDER = {DeadlineKind.ACCEPT.value: 0, DeadlineKind.REPLY.value: 1, DeadlineKind.RECTIFICATION.value: 2}


def as_countdown(deadline: Deadline, now: datetime) -> Countdown:
    kind = DeadlineKind(deadline.kind)
    return countdown(kind.value, DEADLINE_KIND_LABELS[kind], deadline.due_at, now, deadline.warn_at)


def running_countdowns(ticket_ids: Iterable[int], now: datetime, kinds=TICKET_CLOCKS) -> dict[int, list[Countdown]]:
    """ticket id → the countdowns of its open deadlines of ``kinds`` (accept before reply).

    One query over the given tickets' deadlines (``deadlines.ticket_id`` is indexed): a list
    page asks for its own page of tickets, never for all of them."""
    ids = list(set(ticket_ids))
    found: dict[int, list[Countdown]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(Deadline.ticket_id, Deadline.kind, Deadline.due_at, Deadline.warn_at).where(
            Deadline.ticket_id.in_(ids), Deadline.stopped_at.is_(None), Deadline.kind.in_(list(kinds))
        )
    ).all()
    for row in sorted(rows, key=lambda r: (_ORDER[r.kind], r.due_at)):
        kind = DeadlineKind(row.kind)
        found[row.ticket_id].append(countdown(kind.value, DEADLINE_KIND_LABELS[kind], row.due_at, now, row.warn_at))
    return found
