"""Deadlines of tickets: plan, open, extend, meet and stop them.

Services take ``now``, change rows, flush where they must, and never commit. They know a
ticket by its id (and, where a policy must be chosen, its request type and urgency): the
deadlines domain never loads or changes a ticket. The ticket services call
:func:`plan_unit_clocks` / :func:`open_unit_clocks` at dispatch and reopen and
:func:`extend_reply` when an extension is approved; the stops (accept, reply, return,
merge, close) come through the ``ticket_changing`` receiver (:mod:`hotline.sla.receivers`).

Rectification deadlines (整改时限) belong to supervision's rectification notices, which
open and meet them through :func:`open_deadline` and :func:`meet_deadline`; the same
sweep watches them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core import clock, txcache
from ..core.errors import InvalidInput
from ..extensions import db
from . import arithmetic, calendars, policies
from .models import Deadline, DeadlineKind, DeadlineRecord, PointKind, StopReason
from .policies import Terms

log = logging.getLogger(__name__)

UNIT_CLOCKS = (DeadlineKind.ACCEPT, DeadlineKind.REPLY)


# --- computing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    points: arithmetic.Points
    calendar: dict


def compute(start: datetime, hours: float, terms: Terms, *, now: datetime, context: str = "") -> Computed:
    """The points of a deadline of ``hours`` from ``start`` under ``terms`` (the one entry
    to the arithmetic with a calendar). A year no calendar knows is counted on weekends,
    warned about, and never raises."""
    if terms.clock_mode != arithmetic.WORKING:
        points = arithmetic.points(start, hours, warn_ratio=terms.warn_ratio, red_ratio=terms.red_ratio)
        return Computed(points, {"mode": arithmetic.NATURAL})
    zone = clock.local_zone()
    calendar = calendars.load(start.astimezone(zone).date())
    try:
        points = arithmetic.points(
            start,
            hours,
            warn_ratio=terms.warn_ratio,
            red_ratio=terms.red_ratio,
            mode=arithmetic.WORKING,
            periods=arithmetic.parse_working_hours(terms.working_hours),
            is_working_day=calendar.is_working_day,
            zone=zone,
        )
    except arithmetic.CalendarError:
        # Only a calendar with no working day for years can get here; the deadline
        # still exists, on natural hours, and the log says why.
        log.exception("working-time deadline failed for %s; counted in natural hours", context)
        points = arithmetic.points(start, hours, warn_ratio=terms.warn_ratio, red_ratio=terms.red_ratio)
        return Computed(points, {"mode": arithmetic.NATURAL, "fallback": "working calendar failed"})
    if calendar.fallback_years:
        calendars.warn_missing_years(calendar.fallback_years, now=now, context=context)
    info = {
        "mode": arithmetic.WORKING,
        "working_hours": terms.working_hours,
        "zone": zone.key,
        "years": calendar.describe(),
    }
    return Computed(points, info)


@dataclass(frozen=True)
class ClockPlan:
    kind: DeadlineKind
    hours: float
    computed: Computed


@dataclass(frozen=True)
class UnitPlan:
    """The accept and reply clocks a dispatch (or reopen) starts, before they exist."""

    terms: Terms
    clocks: tuple[ClockPlan, ...]

    def clock(self, kind: DeadlineKind) -> ClockPlan | None:
        return next((c for c in self.clocks if c.kind == kind), None)

    @property
    def reply_due_at(self) -> datetime:
        return self.clock(DeadlineKind.REPLY).computed.points.due_at

    def event_data(self) -> dict:
        """What the dispatch event keeps, so that its deadlines can be recomputed from it."""
        accept = self.clock(DeadlineKind.ACCEPT)
        return {
            "policy": self.terms.as_dict(),
            "accept_due_at": clock.isoformat(accept.computed.points.due_at) if accept else None,
        }


def plan_unit_clocks(request_type: str, urgency: str, *, now: datetime, context: str = "") -> UnitPlan:
    """The clocks dispatching a ticket of this request type and urgency at ``now`` starts,
    under the policy in force now. ``context`` names the ticket in log lines."""
    terms = policies.terms_for(request_type, urgency)
    wanted = [(DeadlineKind.ACCEPT, terms.accept_hours), (DeadlineKind.REPLY, terms.reply_hours)]
    clocks = tuple(
        ClockPlan(kind, hours, compute(now, hours, terms, now=now, context=context)) for kind, hours in wanted if hours
    )
    return UnitPlan(terms, clocks)


# --- opening --------------------------------------------------------------------------


def _next_sequence(ticket_id: int, kind: str) -> int:
    return max((d.sequence for d in for_ticket(ticket_id) if d.kind == str(kind)), default=0) + 1


def _new_deadline(ticket_id: int, kind: str, *, unit_id: int, start: datetime, now: datetime, **fields) -> Deadline:
    deadline = Deadline(
        records=[],  # a new clock has recorded nothing: known, not queried
        ticket_id=ticket_id,
        kind=str(kind),
        sequence=_next_sequence(ticket_id, kind),
        unit_id=unit_id,
        started_at=start,
        extension_hours=0,
        extensions=[],
        created_at=now,
        updated_at=now,
        **fields,
    )
    deadline.next_check_at = next_check(deadline, recorded=())
    db.session.add(deadline)
    for_ticket(ticket_id).append(deadline)
    return deadline


def open_unit_clocks(ticket_id: int, plan: UnitPlan, *, unit_id: int, now: datetime) -> list[Deadline]:
    """Start the planned clocks of the unit now holding the ticket."""
    stop_clocks(ticket_id, now=now, reason=StopReason.REDISPATCHED)
    return [
        _new_deadline(
            ticket_id,
            c.kind,
            unit_id=unit_id,
            start=now,
            now=now,
            base_hours=c.hours,
            due_at=c.computed.points.due_at,
            warn_at=c.computed.points.warn_at,
            red_at=c.computed.points.red_at,
            policy=plan.terms.as_dict(),
            calendar=c.computed.calendar,
        )
        for c in plan.clocks
    ]


def open_deadline(
    ticket_id: int,
    *,
    request_type: str,
    urgency: str,
    kind: str = DeadlineKind.RECTIFICATION,
    unit_id: int,
    due_at: datetime,
    now: datetime,
    source_type: str,
    source_id,
    warn_at: datetime | None = None,
    red_at: datetime | None = None,
) -> Deadline:
    """Open a rectification deadline (整改时限) for ``unit_id``, due at ``due_at``.

    The watch records its warning, overdue (+ yellow card) and red card like any other
    deadline. Unless given, the warning and red card come at the ratios of the policy for
    ``request_type`` and ``urgency`` (natural time). Idempotent per (source_type, source_id).
    """
    if DeadlineKind(kind) is not DeadlineKind.RECTIFICATION:
        raise ValueError("accept and reply deadlines are opened by dispatch, not by open_deadline")
    existing = find_deadline(source_type=source_type, source_id=source_id)
    if existing is not None:
        return existing
    if due_at <= now:
        raise InvalidInput(
            "The rectification deadline must be in the future.", message_zh="整改期限必须晚于当前时间。", field="due_at"
        )
    terms = policies.terms_for(request_type, urgency)
    allowance = due_at - now
    if warn_at is None and terms.warn_ratio:
        warn_at = now + allowance * terms.warn_ratio
    if red_at is None and terms.red_ratio:
        red_at = now + allowance * terms.red_ratio
    snapshot = {
        "name": "整改通知书时限",
        "warn_ratio": terms.warn_ratio,
        "red_ratio": terms.red_ratio,
        "clock_mode": arithmetic.NATURAL,
        "source_type": source_type,
        "source_id": str(source_id),
    }
    deadline = _new_deadline(
        ticket_id,
        DeadlineKind.RECTIFICATION,
        unit_id=unit_id,
        start=now,
        now=now,
        base_hours=round(allowance / timedelta(hours=1), 4),
        due_at=due_at,
        warn_at=warn_at,
        red_at=red_at,
        policy=snapshot,
        calendar={"mode": arithmetic.NATURAL},
        source_type=source_type,
        source_id=str(source_id),
    )
    db.session.flush()
    return deadline


def find_deadline(*, source_type: str, source_id) -> Deadline | None:
    return db.session.scalar(
        select(Deadline)
        .where(Deadline.source_type == source_type, Deadline.source_id == str(source_id))
        .order_by(Deadline.id.desc())
        .limit(1)
    )


def meet_deadline(deadline: Deadline, *, now: datetime, reason: str = StopReason.MET) -> bool:
    """Stop a deadline's clock (the rectification was done, or the notice withdrawn).

    Returns False when it had stopped already. A deadline met after its due point still
    gets its overdue record (and yellow card) from the sweep, exactly once."""
    if deadline.stopped_at is not None:
        return False
    _stop(deadline, now, StopReason(reason))
    db.session.flush()
    return True


# --- extending and stopping -----------------------------------------------------------


def open_clock(ticket_id: int, kind: DeadlineKind) -> Deadline | None:
    found = sorted(
        (d for d in for_ticket(ticket_id) if d.kind == str(kind) and d.stopped_at is None),
        key=lambda d: d.sequence,
        reverse=True,
    )
    return found[0] if found else None


def extend_reply(
    ticket_id: int,
    *,
    due_at: datetime,
    hours: int,
    now: datetime,
    request_id: int | None = None,
    context: str = "",
) -> datetime:
    """An approved extension: the reply deadline (with its warning and red-card points)
    moves by ``hours`` on the deadline's own clock. Returns the new reply deadline.

    ``due_at`` is the reply deadline the ticket shows now, which a ticket dispatched before
    deadline rows existed has without a row: it then moves by plain hours."""
    deadline = open_clock(ticket_id, DeadlineKind.REPLY)
    if deadline is None:
        return arithmetic.add_natural(due_at, hours)
    deadline.extension_hours = (deadline.extension_hours or 0) + hours
    deadline.extensions = [
        *deadline.extensions,
        {"hours": hours, "at": clock.isoformat(now), "extension_request_id": request_id},
    ]
    terms = Terms.from_dict(deadline.policy)
    computed = compute(
        deadline.started_at, deadline.base_hours + deadline.extension_hours, terms, now=now, context=context
    )
    deadline.due_at = computed.points.due_at
    deadline.warn_at = computed.points.warn_at
    deadline.red_at = computed.points.red_at
    deadline.calendar = computed.calendar
    deadline.updated_at = now
    deadline.next_check_at = next_check(deadline, recorded=recorded_kinds(deadline))
    return deadline.due_at


def stop_clocks(ticket_id: int, *, now: datetime, reason: str, kinds=UNIT_CLOCKS) -> list[Deadline]:
    """Stop the ticket's open clocks of ``kinds`` (the unit's accept and reply clocks)."""
    wanted = {str(k) for k in kinds}
    # The rows may have been stopped in this session and not flushed yet: trust the objects.
    stopped = [d for d in for_ticket(ticket_id) if d.kind in wanted and d.stopped_at is None]
    for deadline in stopped:
        _stop(deadline, now, StopReason(reason))
    return stopped


def _stop(deadline: Deadline, now: datetime, reason: StopReason) -> None:
    deadline.stopped_at = now
    deadline.stop_reason = reason.value
    deadline.updated_at = now
    deadline.next_check_at = next_check(deadline, recorded=recorded_kinds(deadline))


# --- which point is next --------------------------------------------------------------

POINTS = (PointKind.WARNING, PointKind.OVERDUE, PointKind.RED)


def eligible(deadline: Deadline, kind: PointKind) -> bool:
    """Whether the watch should ever record this point. After the clock stopped, only a
    deadline missed before it stopped counts (overdue, red); warnings no longer matter."""
    point = deadline.point(kind)
    if point is None:
        return False
    if deadline.stopped_at is None:
        return True
    return kind is not PointKind.WARNING and point < deadline.stopped_at


def next_check(deadline: Deadline, *, recorded) -> datetime | None:
    """The earliest point still to record (past or future), or None."""
    recorded = {str(k) for k in recorded}
    pending = [deadline.point(k) for k in POINTS if k.value not in recorded and eligible(deadline, k)]
    return min(pending) if pending else None


def recorded_kinds(deadline: Deadline) -> set[str]:
    if deadline.id is None:
        return set()
    if deadline in txcache.peek(db.session(), ("deadlines", deadline.ticket_id), ()):
        # Loaded with its records in this transaction, in which only the watch records points
        # (and the watch never changes a ticket's clocks in the same transaction).
        return {r.kind for r in deadline.records}
    return set(db.session.scalars(select(DeadlineRecord.kind).where(DeadlineRecord.deadline_id == deadline.id)))


def for_ticket(ticket_id: int) -> list[Deadline]:
    """The ticket's deadlines with their records, oldest first: read once per transaction
    (one statement), then kept, so that the services that open, extend and stop the ticket's
    clocks and the ticket's answer all work on the same objects."""

    def load():
        return list(
            db.session.scalars(
                select(Deadline)
                .options(joinedload(Deadline.records))
                .where(Deadline.ticket_id == ticket_id)
                .order_by(Deadline.id)
            ).unique()
        )

    return txcache.get(db.session(), ("deadlines", ticket_id), load)


def known_none(ticket_id: int) -> None:
    """The caller read in this transaction that the ticket has no deadlines (the ticket's own
    statement asks): :func:`for_ticket` then starts from an empty list instead of reading."""
    txcache.get(db.session(), ("deadlines", ticket_id), list)
