"""Probable duplicates (重复件): open tickets of the last days, in the same area, whose words
are like this ticket's (a burst pipe brings forty calls).

Similarity is lexical: the cosine of the two texts' character-bigram counts (Chinese words
are mostly two characters; bigrams need no segmenting and match across word boundaries).
Only tickets the viewer may see are listed: unit staff never learn of another unit's tickets.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..tickets import permissions
from ..tickets.models import Ticket
from ..tickets.queries import TICKET_LOAD, visible_clause
from ..tickets.states import OPEN_STATES, Status

WINDOW_DAYS = 3
MIN_SCORE = 0.3
MAX_CANDIDATES = 500  # the newest open tickets of the area in the window
_NOT_TEXT = re.compile(r"[\W_]+")


def bigrams(text: str) -> Counter:
    from knowledge_base.search.analyzer import normalise

    out: Counter = Counter()
    for run in _NOT_TEXT.split(normalise(text or "")):
        if len(run) == 1:
            out[run] += 1
        # a list, not a generator: one call, not one per bigram (a reply has a hundred)
        out.update([run[i : i + 2] for i in range(len(run) - 1)])
    return out


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    if len(b) < len(a):
        a, b = b, a
    dot = sum([v * b[k] for k, v in a.items() if k in b])
    return dot / math.sqrt(sum([v * v for v in a.values()]) * sum([v * v for v in b.values()]))


@dataclass(frozen=True)
class Similar:
    ticket: Ticket
    score: float


def similar(ticket: Ticket, *, viewer, now: datetime, days: int = WINDOW_DAYS, limit: int = 10) -> list[Similar]:
    """Open tickets created in the ``days`` before ``now`` (and after), in the same area
    (any area when the ticket has none), scoring at least ``MIN_SCORE``, best first."""
    return similar_to(
        ticket.content,
        area_unit_id=ticket.area_unit_id,
        viewer=viewer,
        now=now,
        days=days,
        limit=limit,
        exclude_id=ticket.id,
    )


def similar_to(
    text: str,
    *,
    area_unit_id: int | None,
    viewer,
    now: datetime,
    days: int = WINDOW_DAYS,
    limit: int = 10,
    exclude_id: int | None = None,
    statuses=OPEN_STATES,
) -> list[Similar]:
    """The same for words not yet recorded (the intake form as the operator types)."""
    stmt = (
        select(Ticket)
        .options(*TICKET_LOAD)
        .where(
            Ticket.status.in_([s.value for s in statuses]),
            Ticket.created_at >= now - timedelta(days=days),
            visible_clause(viewer),
        )
        .order_by(Ticket.id.desc())
        .limit(MAX_CANDIDATES)
    )
    if exclude_id is not None:
        stmt = stmt.where(Ticket.id != exclude_id)
    if area_unit_id is not None:
        stmt = stmt.where(Ticket.area_unit_id == area_unit_id)
    mine = bigrams(text)
    found = []
    for other in db.session.scalars(stmt):
        if not permissions.can_view(viewer, other):
            continue
        score = cosine(mine, bigrams(other.content))
        if score >= MIN_SCORE:
            found.append(Similar(other, round(score, 4)))
    found.sort(key=lambda s: (-s.score, s.ticket.id))
    return found[:limit]


# --- groups of duplicates awaiting dispatch (the dispatcher's 待派单 queue) ----------------

MAX_GROUP = 50  # the most members one group dispatch takes


def pending_group(head: Ticket, *, viewer, now: datetime, days: int = WINDOW_DAYS) -> list[Similar]:
    """The tickets awaiting dispatch that are probable duplicates of ``head``, in its area
    (none when it has no area), best first: the members a group dispatch may take with it."""
    if head.area_unit_id is None:
        return []
    return similar_to(
        head.content,
        area_unit_id=head.area_unit_id,
        viewer=viewer,
        now=now,
        days=days,
        limit=MAX_GROUP,
        exclude_id=head.id,
        statuses=(Status.PENDING_DISPATCH,),
    )


def groups(tickets, *, now: datetime, days: int = WINDOW_DAYS) -> dict[int, list[Ticket]]:
    """Among ``tickets`` (one page of the queue, already loaded: no query here), the groups of
    probable duplicates: head's id → its members, oldest first.

    The head is the oldest ticket of its group; a member is a later ticket in the head's area,
    created within the window, whose words score at least ``MIN_SCORE`` against the head's
    (the rule of :func:`pending_group`, so the head's page offers the same members). A ticket
    is in one group at most; a ticket without an area is never grouped.
    """
    since = now - timedelta(days=days)
    order = sorted(tickets, key=lambda t: (t.created_at, t.id))
    words = {t.id: bigrams(t.content) for t in order}
    taken: set[int] = set()
    found: dict[int, list[Ticket]] = {}
    for i, head in enumerate(order):
        if head.id in taken or head.area_unit_id is None:
            continue
        members = [
            t
            for t in order[i + 1 :]
            if t.id not in taken
            and t.area_unit_id == head.area_unit_id
            and t.created_at >= since
            and cosine(words[head.id], words[t.id]) >= MIN_SCORE
        ]
        if members:
            found[head.id] = members
            taken.add(head.id)
            taken.update(t.id for t in members)
    return found
