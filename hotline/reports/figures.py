"""The assessment figures, computed in SQL (GROUP BY + SUM(CASE ...)), never by loading
tickets into Python. Each figure is defined here once, in code, under the key that
:mod:`hotline.reports.definitions` defines in words.

Every count is built from a *source*: a SELECT of rows ``(unit_id, ticket_id, flags...)``.
A figure is the number of rows of its source with its flag set (or the number of
distinct tickets, for the figures marked ``distinct``). The tickets behind a figure
(:mod:`hotline.reports.drill`) are read from the very same source, so a list always has
as many rows as its figure counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from ..extensions import db
from ..sla.models import Deadline, DeadlineKind, StopReason
from ..supervision.models import Card, CardColor
from ..tickets.models import Callback, ExtensionRequest, ExtensionStatus, Satisfaction, Ticket
from ..tickets.states import Status
from ..units.models import LEVEL_RANK, Level, Unit
from .models import Exemption, ExemptionStatus
from .periods import Period
from .scope import Scope, make_scope
from .sqlfuncs import epoch

D = Deadline


def _flag(condition):
    return case((condition, 1), else_=0)


def exempted_clause(ticket_id, unit_id):
    """True where the unit's exemption for the ticket was approved (考核免责)."""
    return exists().where(
        Exemption.ticket_id == ticket_id,
        Exemption.unit_id == unit_id,
        Exemption.status == ExemptionStatus.APPROVED.value,
    )


def _ticket_scope(stmt, ticket_id, scope: Scope):
    """Merged duplicates never count; the category and area filters (on the joined ticket).
    Without a filter, merged tickets are left out by NOT EXISTS (a few thousand rows read
    by ix_tickets_status_created) rather than by joining every ticket."""
    if scope.category_ids is None and scope.area_ids is None:
        merged = aliased(Ticket)
        return stmt.where(~exists().where(merged.id == ticket_id, merged.status == Status.MERGED.value))
    stmt = stmt.join(Ticket, Ticket.id == ticket_id).where(Ticket.status != Status.MERGED.value)
    if scope.category_ids is not None:
        stmt = stmt.where(Ticket.category_id.in_(scope.category_ids))
    if scope.area_ids is not None:
        stmt = stmt.where(Ticket.area_unit_id.in_(scope.area_ids))
    return stmt


def _in_period(column, scope: Scope):
    return and_(column >= scope.start, column < scope.upto)


# --- the sources ----------------------------------------------------------------------


def src_rounds(scope: Scope):
    """Reply deadlines opened in the period: each dispatch, re-dispatch or reopen of a ticket to a unit.

    A reopen round (重办): the ticket's previous reply deadline was met. That and
    ``exempted_clause`` are each evaluated once per row by an outer join: at most one row
    joins (deadlines are unique by ticket, kind and sequence; a unit has at most one live
    exemption of a ticket, uq_exemptions_ticket_unit_live)."""
    prior = aliased(Deadline)
    exemption = aliased(Exemption)
    inner = (
        select(
            D.unit_id.label("unit_id"),
            D.ticket_id.label("ticket_id"),
            D.sequence.label("sequence"),
            prior.id.is_not(None).label("reopen"),
            exemption.id.is_not(None).label("exempt"),
        )
        .outerjoin(
            prior,
            and_(
                prior.ticket_id == D.ticket_id,
                prior.kind == DeadlineKind.REPLY.value,
                prior.sequence == D.sequence - 1,
                prior.stop_reason == StopReason.MET.value,
            ),
        )
        .outerjoin(
            exemption,
            and_(
                exemption.ticket_id == D.ticket_id,
                exemption.unit_id == D.unit_id,
                exemption.status == ExemptionStatus.APPROVED.value,
            ),
        )
        .where(D.kind == DeadlineKind.REPLY.value, _in_period(D.started_at, scope))
    )
    r = _ticket_scope(inner, D.ticket_id, scope).subquery()
    reopen, exempt = r.c.reopen, r.c.exempt
    return select(
        r.c.unit_id,
        r.c.ticket_id,
        _flag(~reopen).label("received"),
        _flag(and_(~reopen, r.c.sequence > 1)).label("redispatched"),
        _flag(and_(reopen, ~exempt)).label("reopened"),
        _flag(and_(~reopen, exempt)).label("exempted"),
    )


def src_open(scope: Scope):
    """Reply deadlines running at the end of the period (or now, if it is not over)."""
    stmt = select(D.unit_id.label("unit_id"), D.ticket_id.label("ticket_id"), literal(1).label("still_open")).where(
        D.kind == DeadlineKind.REPLY.value,
        D.started_at < scope.upto,
        or_(D.stopped_at.is_(None), D.stopped_at >= scope.upto),
    )
    return _ticket_scope(stmt, D.ticket_id, scope)


def src_returns(scope: Scope):
    """Reply deadlines ended by the unit returning the ticket (退单) in the period."""
    stmt = select(D.unit_id.label("unit_id"), D.ticket_id.label("ticket_id"), literal(1).label("returned")).where(
        D.kind == DeadlineKind.REPLY.value,
        D.stop_reason == StopReason.RETURNED.value,
        _in_period(D.stopped_at, scope),
    )
    return _ticket_scope(stmt, D.ticket_id, scope)


def _assessed(scope: Scope, kind: DeadlineKind, prefix: str):
    """Deadlines of ``kind`` settled in the period: met on time (settled when met), or
    missed (settled when they fell due, whatever happened later). Deadlines stopped
    before they fell due for another reason (returned, merged...) are never assessed."""
    on_time = and_(D.stop_reason == StopReason.MET.value, D.stopped_at <= D.due_at)
    missed = or_(D.stopped_at.is_(None), D.stopped_at > D.due_at)
    columns = [
        D.unit_id.label("unit_id"),
        D.ticket_id.label("ticket_id"),
        D.id.label("deadline_id"),  # the bulletin's worst overdue cases
        literal(1).label(f"{prefix}_assessed"),
        _flag(on_time).label(f"{prefix}_on_time"),
        case((on_time, 0), else_=1).label(f"{prefix}_overdue"),  # not ~on_time: NULL stop_reason
    ]
    if kind is DeadlineKind.REPLY:
        # Early: met with at least half of the allowed time (start → due, by the clock) left.
        early = and_(on_time, epoch(D.stopped_at) * 2 <= epoch(D.started_at) + epoch(D.due_at))
        columns.append(_flag(early).label("replied_early"))
    # Settled in the period: met on time in it, or fell due in it unmet (two index ranges).
    # The two are disjoint (on time means stopped_at <= due_at; missed, the contrary), so
    # their UNION ALL has each deadline at most once; apart, each is one index range
    # ((kind, stopped_at), (kind, due_at)), which PostgreSQL uses where it would not for the OR.
    parts = [
        _ticket_scope(
            select(*columns).where(D.kind == kind.value, *branch, ~exempted_clause(D.ticket_id, D.unit_id)),
            D.ticket_id,
            scope,
        )
        for branch in ((on_time, _in_period(D.stopped_at, scope)), (missed, _in_period(D.due_at, scope)))
    ]
    return union_all(*parts)


def src_reply(scope: Scope):
    return _assessed(scope, DeadlineKind.REPLY, "reply")


def src_accept(scope: Scope):
    return _assessed(scope, DeadlineKind.ACCEPT, "accept")


def src_callbacks(scope: Scope):
    """Callbacks (回访) in the period, on the reply of the unit evaluated."""
    good = Callback.satisfaction.in_([Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value])
    stmt = select(
        Callback.unit_id.label("unit_id"),
        Callback.ticket_id.label("ticket_id"),
        literal(1).label("callbacks"),
        _flag(good).label("satisfied"),
        _flag(Callback.satisfaction == Satisfaction.DISSATISFIED.value).label("dissatisfied"),
        _flag(Callback.is_resolved.is_(True)).label("resolved"),
    ).where(
        Callback.unit_id.is_not(None),
        _in_period(Callback.created_at, scope),
        ~exempted_clause(Callback.ticket_id, Callback.unit_id),
    )
    return _ticket_scope(stmt, Callback.ticket_id, scope)


def src_extensions(scope: Scope):
    """Extension requests (延期申请) the unit made in the period, and which were approved."""
    stmt = select(
        ExtensionRequest.unit_id.label("unit_id"),
        ExtensionRequest.ticket_id.label("ticket_id"),
        literal(1).label("extensions"),
        _flag(ExtensionRequest.status == ExtensionStatus.APPROVED.value).label("extensions_approved"),
    ).where(_in_period(ExtensionRequest.created_at, scope))
    return _ticket_scope(stmt, ExtensionRequest.ticket_id, scope)


def src_cards(scope: Scope):
    """Yellow and red cards recorded against the unit in the period."""
    stmt = select(
        Card.unit_id.label("unit_id"),
        Card.ticket_id.label("ticket_id"),
        _flag(Card.color == CardColor.YELLOW.value).label("yellow_cards"),
        _flag(Card.color == CardColor.RED.value).label("red_cards"),
    ).where(
        _in_period(Card.recorded_at, scope),
        Card.voided_at.is_(None),
        ~exempted_clause(Card.ticket_id, Card.unit_id),
    )
    return _ticket_scope(stmt, Card.ticket_id, scope)


@dataclass(frozen=True)
class Figure:
    key: str
    source: object  # a function Scope -> Select
    distinct: bool = False  # count distinct tickets instead of rows


UNIT_FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("received", src_rounds, distinct=True),
        Figure("redispatched", src_rounds),
        Figure("reopened", src_rounds),
        Figure("still_open", src_open, distinct=True),
        Figure("returned", src_returns),
        Figure("accept_assessed", src_accept),
        Figure("accept_on_time", src_accept),
        Figure("accept_overdue", src_accept),
        Figure("reply_assessed", src_reply),
        Figure("reply_on_time", src_reply),
        Figure("reply_overdue", src_reply),
        Figure("replied_early", src_reply),
        Figure("callbacks", src_callbacks),
        Figure("satisfied", src_callbacks),
        Figure("dissatisfied", src_callbacks),
        Figure("resolved", src_callbacks),
        Figure("extensions", src_extensions),
        Figure("extensions_approved", src_extensions),
        Figure("yellow_cards", src_cards),
        Figure("red_cards", src_cards),
        Figure("exempted", src_rounds, distinct=True),
    )
}

# rate → (numerator, denominator); a rate is None when its denominator is 0.
UNIT_RATES: dict[str, tuple[str, str]] = {
    "accepted_on_time_rate": ("accept_on_time", "accept_assessed"),
    "replied_on_time_rate": ("reply_on_time", "reply_assessed"),
    "early_rate": ("replied_early", "reply_assessed"),
    "satisfaction_rate": ("satisfied", "callbacks"),
    "resolution_rate": ("resolved", "callbacks"),
    "reopen_rate": ("reopened", "callbacks"),
    "returned_rate": ("returned", "received"),
}

# Other names of the same counts, as the public JSON spells them.
ALIASES = {"overdue": "reply_overdue", "accepted_on_time": "accept_on_time", "replied_on_time": "reply_on_time"}


def rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


def _aggregate(source, keys: list[str], scope: Scope, unit_ids, *, group: bool) -> dict:
    sub = source(scope).subquery()
    aggs = []
    for key in keys:
        if UNIT_FIGURES[key].distinct:
            aggs.append(func.count(func.distinct(case((sub.c[key] == 1, sub.c.ticket_id)))).label(key))
        else:
            aggs.append(func.coalesce(func.sum(sub.c[key]), 0).label(key))
    stmt = select(sub.c.unit_id, *aggs) if group else select(literal(None).label("unit_id"), *aggs)
    if unit_ids is not None:
        stmt = stmt.where(sub.c.unit_id.in_(unit_ids) if unit_ids else false())
    if group:
        stmt = stmt.group_by(sub.c.unit_id)
    return {row.unit_id: {k: int(getattr(row, k) or 0) for k in keys} for row in db.session.execute(stmt)}


def _aggregate_with_total(source, keys: list[str], scope: Scope) -> tuple[dict, dict]:
    """``_aggregate`` grouped by unit (every unit) and over all rows, from one scan of the
    source: a CTE read by both halves of a UNION ALL (``is_total`` tells them apart)."""
    src = source(scope).cte()

    def aggs():
        out = []
        for key in keys:
            if UNIT_FIGURES[key].distinct:
                out.append(func.count(func.distinct(case((src.c[key] == 1, src.c.ticket_id)))).label(key))
            else:
                out.append(func.coalesce(func.sum(src.c[key]), 0).label(key))
        return out

    by_unit = select(literal(0).label("is_total"), src.c.unit_id, *aggs()).group_by(src.c.unit_id)
    total = select(literal(1).label("is_total"), literal(None).label("unit_id"), *aggs())
    grouped, whole = {}, {key: 0 for key in keys}
    for row in db.session.execute(by_unit.union_all(total)):
        values = {k: int(getattr(row, k) or 0) for k in keys}
        if row.is_total:
            whole = values
        else:
            grouped[row.unit_id] = values
    return grouped, whole


def _by_source() -> dict:
    grouped: dict = {}
    for key, fig in UNIT_FIGURES.items():
        grouped.setdefault(fig.source, []).append(key)
    return grouped


def _with_rates(counts: dict) -> dict:
    row = {key: counts.get(key, 0) for key in UNIT_FIGURES}
    for name, (num, den) in UNIT_RATES.items():
        row[name] = rate(row[num], row[den])
    for alias, key in ALIASES.items():
        row[alias] = row[key]
    return row


def _units(level: str | None, unit_code: str | None):
    stmt = select(Unit)
    if unit_code is not None:
        stmt = stmt.where(Unit.code == unit_code)
    elif level is not None:
        stmt = stmt.where(Unit.level == Level(level).value, Unit.is_active.is_(True))
    else:
        stmt = stmt.where(Unit.is_active.is_(True))
    return list(db.session.scalars(stmt))


def _unit_rows(units, counts: dict) -> list[dict]:
    rows = []
    for unit in sorted(units, key=lambda u: (LEVEL_RANK[Level(u.level)], u.code)):
        row = {"code": unit.code, "name": unit.name, "level": unit.level, "unit_id": unit.id}
        row.update(_with_rates(counts.get(unit.id, {})))
        rows.append(row)
    return rows


def unit_and_total_counts(scope: Scope) -> tuple[dict, dict]:
    """The raw counts per unit id and over all units, each source read once (live)."""
    counts: dict = {}
    total: dict = {}
    for source, keys in _by_source().items():
        grouped, whole = _aggregate_with_total(source, keys, scope)
        for uid, values in grouped.items():
            counts.setdefault(uid, {}).update(values)
        total.update(whole)
    return counts, total


def total_counts(scope: Scope, unit_ids) -> dict:
    """The raw counts over ``unit_ids`` (None: every unit) as one row (live)."""
    counts: dict = {}
    for source, keys in _by_source().items():
        for values in _aggregate(source, keys, scope, unit_ids, group=False).values():
            counts.update(values)
    return counts


def level_counts(scope: Scope) -> dict[str, dict]:
    """``total_counts`` of each level's active units, all levels in one pass per source
    (GROUP BY the unit's level): what a rollup stores for ``total_figures(level=...)``."""
    counts: dict[str, dict] = {level.value: {} for level in Level}
    for source, keys in _by_source().items():
        sub = source(scope).subquery()
        aggs = []
        for key in keys:
            if UNIT_FIGURES[key].distinct:
                aggs.append(func.count(func.distinct(case((sub.c[key] == 1, sub.c.ticket_id)))).label(key))
            else:
                aggs.append(func.coalesce(func.sum(sub.c[key]), 0).label(key))
        stmt = (
            select(Unit.level.label("level"), *aggs)
            .join(Unit, Unit.id == sub.c.unit_id)
            .where(Unit.is_active.is_(True))
            .group_by(Unit.level)
        )
        seen = set()
        for row in db.session.execute(stmt):
            counts[row.level].update({k: int(getattr(row, k) or 0) for k in keys})
            seen.add(row.level)
        for level in counts:
            if level not in seen:
                counts[level].update({k: 0 for k in keys})
    return counts


def _stored_units(period: Period, now: datetime, category_id=None, area_unit_id=None) -> dict | None:
    """A closed month's stored counts (hotline.reports.rollups), when current; else None."""
    if category_id is not None or area_unit_id is not None:
        return None
    from . import rollups

    return rollups.stored(period, now=now, part="units")


def unit_and_total_figures(period: Period, *, now: datetime) -> tuple[list[dict], dict]:
    """``unit_figures(period, now=now)`` and ``total_figures(period, now=now)`` together,
    each source read once (the bulletin needs both); a closed month's from its rollup."""
    units = _units(None, None)
    stored = _stored_units(period, now)
    if stored is not None:
        counts, total = stored["units"], stored["total"]
    else:
        counts, total = unit_and_total_counts(make_scope(period, now=now))
    return _unit_rows(units, counts), _with_rates(total)


def unit_figures(
    period: Period,
    *,
    now: datetime,
    level: str | None = None,
    unit_code: str | None = None,
    category_id: int | None = None,
    area_unit_id: int | None = None,
) -> list[dict]:
    """One dict per unit (of ``level``, or just ``unit_code``; all active units by default),
    units with no tickets included (their rates None). Sorted by level, then code.
    A closed month without filters is read from its rollup (hotline.reports.rollups)."""
    units = _units(level, unit_code)
    stored = _stored_units(period, now, category_id, area_unit_id)
    if stored is not None:
        return _unit_rows(units, stored["units"])
    scope = make_scope(period, now=now, category_id=category_id, area_unit_id=area_unit_id)
    unit_ids = [u.id for u in units]
    counts: dict[int, dict] = {uid: {} for uid in unit_ids}
    # Grouped by unit, the other units' rows are simply not read back: no IN (every unit).
    wanted = unit_ids if unit_code is not None else None
    for source, keys in _by_source().items():
        for uid, values in _aggregate(source, keys, scope, wanted, group=True).items():
            counts.setdefault(uid, {}).update(values)
    return _unit_rows(units, counts)


def total_figures(
    period: Period,
    *,
    now: datetime,
    level: str | None = None,
    category_id: int | None = None,
    area_unit_id: int | None = None,
) -> dict:
    """The same figures for a whole level, or the whole city (``level`` None), as one row.
    Tickets held by several units in turn count once in ``received`` and ``still_open``.
    A closed month without filters is read from its rollup while its level has the same
    active units as when it was stored."""
    unit_ids = [u.id for u in _units(level, None)] if level is not None else None
    stored = _stored_units(period, now, category_id, area_unit_id)
    if stored is not None:
        if level is None:
            return _with_rates(stored["total"])
        kept = stored["levels"].get(level)
        if kept is not None and sorted(kept["unit_ids"]) == sorted(unit_ids):
            return _with_rates(kept["total"])
    scope = make_scope(period, now=now, category_id=category_id, area_unit_id=area_unit_id)
    return _with_rates(total_counts(scope, unit_ids))


# The centre's own figures live in figures_centre.py (re-exported here: one public module).
from .figures_centre import (  # noqa: E402
    CENTRE_FIGURES,
    CENTRE_RATES,
    centre_figures,
    change,
    src_bounces,
    src_first_dispatch,
    src_merged,
    src_volume,
)

__all__ = [
    "ALIASES",
    "CENTRE_FIGURES",
    "CENTRE_RATES",
    "UNIT_FIGURES",
    "UNIT_RATES",
    "centre_figures",
    "change",
    "exempted_clause",
    "src_bounces",
    "src_first_dispatch",
    "src_merged",
    "src_volume",
    "total_counts",
    "total_figures",
    "unit_and_total_counts",
    "unit_and_total_figures",
    "unit_figures",
]
