"""The supervisor's dashboard (工作台): what needs attention now, as plain data.

Every query here is bounded and counted in the database, so the page stays fast at a big
city's scale (1,000,000 tickets, 400 units):

- deadlines due soon and overdue now read only the *open* deadlines, through the partial
  indexes on ``deadlines (due_at)`` and ``deadlines (unit_id, due_at)`` where
  ``stopped_at IS NULL`` (migration 0010): a few thousand rows, not the whole history;
- extension requests waiting for a decision read the partial unique index on
  ``extension_requests (ticket_id) WHERE status = 'pending'``;
- today's volume counts a range of ``tickets.created_at`` (its index, migration 0010), a
  unit's by the reply deadlines its dispatches opened (``deadlines (unit_id, started_at)``);
- this month's cards: a range of ``cards.recorded_at`` (its index) or ``(unit_id, recorded_at)``;
- this month's per-unit rates come from :func:`hotline.reports.figures.unit_figures`, the
  one definition of each figure: seconds at that scale, so kept a few minutes per scope and
  recomputed in the background (``DASHBOARD_CACHE_SECONDS``, :func:`_cached`): in Redis
  when it is configured (shared by every process and host), else in the process.

A scope is the whole city (``unit_id=None``: supervisors, admins) or one unit (its staff):
within a unit's scope nothing of another unit is read. Lists carry no phone numbers;
numbers inside a ticket's text are masked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select

from ..core import clock
from ..core.privacy import mask_numbers
from ..extensions import db
from ..sla.models import DEADLINE_KIND_LABELS, Deadline, DeadlineKind
from ..supervision.models import Card, CardColor
from ..tickets.models import ExtensionRequest, ExtensionStatus, Ticket
from ..tickets.states import STATUS_LABELS, Status
from ..units.models import Unit
from .dashboard_cache import cached as _cached

log = logging.getLogger(__name__)

DUE_SOON_HOURS = 2
LIST_LIMIT = 30  # rows in each list; the section says how many there are in all
UNIT_ROWS = 20  # units in the overdue-by-unit table
SUMMARY_CHARS = 40
TICKET_CLOCKS = (DeadlineKind.ACCEPT.value, DeadlineKind.REPLY.value)


@dataclass(frozen=True)
class Scope:
    """Whose dashboard: the whole city, or one unit."""

    unit_id: int | None = None
    unit_code: str | None = None
    unit_name: str | None = None

    @property
    def is_unit(self) -> bool:
        return self.unit_id is not None

    @property
    def key(self) -> str:
        return self.unit_code or "*"


def scope_for(user) -> Scope:
    """The scope a user's dashboard covers: their own unit for unit staff, else the city."""
    if user.role == "unit_staff":
        return Scope(user.unit_id, user.unit.code, user.unit.name)
    return Scope()


def _summary(text: str | None) -> str:
    text = mask_numbers(" ".join((text or "").split())) or ""
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _open_ticket_clocks(scope: Scope):
    """Open accept/reply deadlines (of the scope's unit)."""
    where = [Deadline.stopped_at.is_(None), Deadline.kind.in_(TICKET_CLOCKS)]
    if scope.is_unit:
        where.append(Deadline.unit_id == scope.unit_id)
    return where


def _deadline_rows(where, order, limit: int, now: datetime) -> list[dict]:
    rows = db.session.execute(
        select(
            Deadline.kind,
            Deadline.due_at,
            Ticket.number,
            Ticket.status,
            Ticket.content,
            Unit.code,
            Unit.name,
        )
        .join(Ticket, Ticket.id == Deadline.ticket_id)
        .join(Unit, Unit.id == Deadline.unit_id)
        .where(*where)
        .order_by(*order)
        .limit(limit)
    ).all()
    return [
        {
            "ticket": r.number,
            "kind": r.kind,
            "kind_label": DEADLINE_KIND_LABELS[DeadlineKind(r.kind)],
            "status": r.status,
            "status_label": STATUS_LABELS[Status(r.status)],
            "unit": r.code,
            "unit_name": r.name,
            "due_at": clock.isoformat(r.due_at),
            "minutes_left": _minutes(clock.ensure_utc(r.due_at) - now),
            "summary": _summary(r.content),
        }
        for r in rows
    ]


def due_soon(scope: Scope, *, now: datetime, hours: int = DUE_SOON_HOURS, limit: int = LIST_LIMIT) -> dict:
    """Open accept/reply deadlines falling due in ``[now, now + hours)``, soonest first."""
    where = [*_open_ticket_clocks(scope), Deadline.due_at >= now, Deadline.due_at < now + timedelta(hours=hours)]
    total = db.session.scalar(select(func.count()).select_from(Deadline).where(*where))
    items = _deadline_rows(where, (Deadline.due_at, Deadline.id), limit, now)
    return {"hours": hours, "total": total, "items": items}


def overdue(scope: Scope, *, now: datetime, limit: int = LIST_LIMIT, unit_rows: int = UNIT_ROWS) -> dict:
    """Tickets overdue now (an open accept or reply deadline already passed), by unit.

    A ticket counts once per unit even when both its clocks have passed; ``accept`` and
    ``reply`` say how many are late to be signed for and late to be replied.
    """
    where = [*_open_ticket_clocks(scope), Deadline.due_at < now]
    per_unit = (
        select(
            Deadline.unit_id,
            func.count(func.distinct(Deadline.ticket_id)).label("tickets"),
            func.count().filter(Deadline.kind == DeadlineKind.ACCEPT.value).label("accept"),
            func.count().filter(Deadline.kind == DeadlineKind.REPLY.value).label("reply"),
            func.min(Deadline.due_at).label("oldest"),
        )
        .where(*where)
        .group_by(Deadline.unit_id)
        .subquery()
    )
    # One pass over the open overdue deadlines: a row per unit late (at most the number of
    # units), the worst first; the totals add those rows up.
    rows = db.session.execute(
        select(per_unit, Unit.code, Unit.name)
        .join(Unit, Unit.id == per_unit.c.unit_id)
        .order_by(per_unit.c.tickets.desc(), per_unit.c.oldest, Unit.code)
    ).all()
    totals = (sum(r.tickets for r in rows), len(rows))
    rows = rows[:unit_rows]
    units = [
        {
            "unit": r.code,
            "unit_name": r.name,
            "tickets": r.tickets,
            "accept": r.accept,
            "reply": r.reply,
            "oldest_due_at": clock.isoformat(r.oldest),
            "hours_over": round((now - clock.ensure_utc(r.oldest)).total_seconds() / 3600, 1),
        }
        for r in rows
    ]
    items = _deadline_rows(where, (Deadline.due_at, Deadline.id), limit, now)
    return {"total": int(totals[0]), "unit_count": totals[1], "units": units, "items": items}


def extension_requests(scope: Scope, *, now: datetime, limit: int = LIST_LIMIT) -> dict:
    """Extension requests waiting for a supervisor's decision, oldest first."""
    where = [ExtensionRequest.status == ExtensionStatus.PENDING.value]
    if scope.is_unit:
        where.append(ExtensionRequest.unit_id == scope.unit_id)
    total = db.session.scalar(select(func.count()).select_from(ExtensionRequest).where(*where))
    # The oldest first, chosen among the pending requests alone, then joined (not the other way round).
    oldest = (
        select(ExtensionRequest.id)
        .where(*where)
        .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(
            ExtensionRequest.id,
            ExtensionRequest.hours,
            ExtensionRequest.reason,
            ExtensionRequest.created_at,
            Ticket.number,
            Ticket.reply_due_at,
            Unit.code,
            Unit.name,
        )
        .join(oldest, oldest.c.id == ExtensionRequest.id)
        .join(Ticket, Ticket.id == ExtensionRequest.ticket_id)
        .join(Unit, Unit.id == ExtensionRequest.unit_id)
        .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
    ).all()
    items = [
        {
            "id": r.id,
            "ticket": r.number,
            "unit": r.code,
            "unit_name": r.name,
            "hours": r.hours,
            "reason": _summary(r.reason),
            "requested_at": clock.isoformat(r.created_at),
            "waiting_minutes": _minutes(now - clock.ensure_utc(r.created_at)),
            "due_at": clock.isoformat(r.reply_due_at),
            "minutes_left": _minutes(clock.ensure_utc(r.reply_due_at) - now) if r.reply_due_at else None,
        }
        for r in rows
    ]
    return {"total": total, "items": items}


def local_day_start(now: datetime) -> datetime:
    """Midnight of ``now``'s day in the centre's zone, as UTC."""
    local = clock.local(now)
    return clock.ensure_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))


def local_month_start(now: datetime) -> datetime:
    local = clock.local(now)
    return clock.ensure_utc(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def _change(current: int, before: int) -> float | None:
    return None if before == 0 else round((current - before) / before, 4)


def volume(scope: Scope, *, now: datetime) -> dict:
    """Today so far against the same weekday last week, up to the same time and all day.

    The city: tickets taken (created) in the centre's local day. A unit: tickets
    dispatched to it (each dispatch to it as lead unit opens one reply deadline).
    """
    today = local_day_start(now)
    week = timedelta(days=7)
    # The same local midnight a week ago (the zone has no daylight saving; say so if it had).
    last_week = local_day_start(now - week)
    if scope.is_unit:
        column = Deadline.started_at
        base = (
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.unit_id == scope.unit_id, Deadline.kind == DeadlineKind.REPLY.value)
        )
    else:
        column = Ticket.created_at
        base = select(func.count()).select_from(Ticket)

    def count(start, end):
        return db.session.scalar(base.where(and_(column >= start, column < end)))

    today_count = count(today, now)
    same_time = count(last_week, now - week)
    whole_day = count(last_week, last_week + timedelta(days=1))
    return {
        "today": today_count,
        "last_week_same_time": same_time,
        "last_week_whole_day": whole_day,
        "change": _change(today_count, same_time),
        "last_week_date": clock.local(last_week).date().isoformat(),
    }


def cards(scope: Scope, *, now: datetime, unit_rows: int = 5) -> dict:
    """Yellow and red cards recorded this month (centre's local month), and the units with most."""
    start = local_month_start(now)
    where = [Card.recorded_at >= start, Card.recorded_at <= now, Card.voided_at.is_(None)]
    if scope.is_unit:
        where.append(Card.unit_id == scope.unit_id)
    yellow = func.count().filter(Card.color == CardColor.YELLOW.value)
    red = func.count().filter(Card.color == CardColor.RED.value)
    totals = db.session.execute(select(yellow, red).where(*where)).one()
    units = []
    if not scope.is_unit:
        per_unit = (
            select(Card.unit_id, yellow.label("yellow"), red.label("red"), func.count().label("total"))
            .where(*where)
            .group_by(Card.unit_id)
            .subquery()
        )
        rows = db.session.execute(
            select(per_unit, Unit.code, Unit.name)
            .join(Unit, Unit.id == per_unit.c.unit_id)
            .order_by(per_unit.c.red.desc(), per_unit.c.total.desc(), Unit.code)
            .limit(unit_rows)
        ).all()
        units = [{"unit": r.code, "unit_name": r.name, "yellow": r.yellow, "red": r.red} for r in rows]
    local = clock.local(start)
    return {
        "month": local.strftime("%Y-%m"),
        "label": f"{local.year}年{local.month}月",
        "yellow": totals[0],
        "red": totals[1],
        "units": units,
    }


# --- this month's rates per unit (R1's figures), cached ---------------------------------

TOP = 5
RATES = (
    ("replied_on_time_rate", "replied_on_time", "按期办结率"),
    ("satisfaction_rate", "satisfaction", "满意率"),
)


def _rate_row(row: dict, rate: str, counts: tuple[str, str]) -> dict:
    numerator, denominator = counts
    return {
        "unit": row["code"],
        "unit_name": row["name"],
        "rate": row[rate],
        "numerator": row.get(numerator),
        "denominator": row.get(denominator),
    }


def best_and_worst(rows: list[dict], rate: str, counts: tuple[str, str], n: int = TOP) -> dict:
    """The ``n`` best and ``n`` worst units by ``rate`` (units with nothing due are left out).

    Ties: the unit with more tickets behind the rate comes first (a 100% on 40 tickets
    before a 100% on one; a 0% on 40 before a 0% on one), then by code. With fewer than
    2n rated units the upper half are the best and the lower half the worst, so no unit
    is in both lists and none of the lower half is called one of the best; a unit with the
    same rate as one of the best is never called one of the worst.
    """
    rated = [r for r in rows if r.get(rate) is not None]
    size = {id(r): r.get(counts[1]) or 0 for r in rated}
    ranked = sorted(rated, key=lambda r: (-r[rate], -size[id(r)], r["code"]))
    best = ranked[: min(n, (len(ranked) + 1) // 2)]
    floor = best[-1][rate] if best else None
    # Only units doing worse than every unit among the best: a tie is not "worst".
    worst = sorted((r for r in rated if r[rate] < floor), key=lambda r: (r[rate], -size[id(r)], r["code"]))
    return {
        "best": [_rate_row(r, rate, counts) for r in best],
        "worst": [_rate_row(r, rate, counts) for r in worst[:n]],
        "rated_units": len(rated),
    }


def month_rates(scope: Scope, *, now: datetime) -> dict:
    """This month's on-time and satisfaction rates: best and worst five, or the unit's own."""
    from . import figures, periods

    tz = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    month = clock.local(now).strftime("%Y-%m")
    period = periods.month_period(month, tz)
    counts = figures.UNIT_RATES  # rate -> (numerator key, denominator key)

    def compute():
        rows = figures.unit_figures(period, now=now, unit_code=scope.unit_code)
        if scope.is_unit:
            own = next((r for r in rows if r["code"] == scope.unit_code), None)
            return {"own": {part: _rate_row(own, rate, counts[rate]) if own else None for rate, part, _ in RATES}}
        return {part: best_and_worst(rows, rate, counts[rate]) for rate, part, _ in RATES}

    def computed():
        return {"computed_at": clock.isoformat(now), **compute()}

    value = _cached(("month", month, scope.key), computed)
    return {"month": month, "label": period.label, "pending": value is None, **(value or {})}


# --- current spikes (R3's topics) --------------------------------------------------------

SPIKE_ROWS = 5
SPIKE_TICKETS = 5


def spikes(scope: Scope, *, now: datetime, limit: int = SPIKE_ROWS) -> dict | None:
    """The spikes happening now (many callers, one issue, one area or category, a few days),
    the most callers first. None for a unit: a spike is read from every unit's tickets."""
    if scope.is_unit:
        return None
    from . import topics

    found = topics.current_spikes(now, max_tickets=SPIKE_TICKETS)
    items = [
        {
            "label": s["label"],
            "keywords": s["keywords"][:5],
            "callers": s["count"],
            "tickets_count": s["tickets_count"],
            "area_name": s["area"]["name"] if s["area"] else None,
            "category_name": s["category"]["name"] if s["category"] else None,
            "first_at": clock.isoformat(s["first_at"]),
            "last_at": clock.isoformat(s["last_at"]),
            "tickets": s["tickets"],
        }
        for s in found[:limit]
    ]
    return {"total": len(found), "items": items}


# --- the whole dashboard -----------------------------------------------------------------


def build(user, *, now: datetime) -> dict:
    """Everything the dashboard shows, for ``user``'s scope (the city, or their own unit)."""
    scope = scope_for(user)
    return {
        "scope": {"unit": scope.unit_code, "unit_name": scope.unit_name},
        "generated_at": clock.isoformat(now),
        "due_soon": due_soon(scope, now=now),
        "overdue": overdue(scope, now=now),
        "extension_requests": extension_requests(scope, now=now),
        "volume": volume(scope, now=now),
        "month": month_rates(scope, now=now),
        "cards": cards(scope, now=now),
        "spikes": spikes(scope, now=now),
    }
