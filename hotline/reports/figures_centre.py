"""The centre's own figures (直接答复率, 一次派准率, bounces) and the volume of a period, in
SQL like the units' figures (hotline.reports.figures, which re-exports these names)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, false, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..sla.models import Deadline, DeadlineKind, StopReason
from ..tickets.models import Ticket
from ..tickets.states import Status
from ..units.models import Unit
from .figures import D, Figure, _flag, _in_period, _ticket_scope, rate
from .periods import Period
from .scope import Scope, make_scope


def src_volume(scope: Scope):
    """Tickets taken in the period (merged duplicates left out: counted with the ticket they repeat)."""
    answered = or_(Ticket.answer_article_id.is_not(None), Ticket.answer_text.is_not(None))
    dispatched = exists().where(D.ticket_id == Ticket.id, D.kind == DeadlineKind.REPLY.value)
    stmt = select(
        literal(None).label("unit_id"),
        Ticket.id.label("ticket_id"),
        literal(1).label("centre_received"),
        _flag(answered).label("answered_on_call"),
        _flag(dispatched).label("dispatched"),
    ).where(_in_period(Ticket.created_at, scope), Ticket.status != Status.MERGED.value)
    return _scope_ticket_columns(stmt, scope)


def _scope_ticket_columns(stmt, scope: Scope):
    if scope.category_ids is not None:
        stmt = stmt.where(Ticket.category_id.in_(scope.category_ids))
    if scope.area_ids is not None:
        stmt = stmt.where(Ticket.area_unit_id.in_(scope.area_ids))
    return stmt


def src_merged(scope: Scope):
    stmt = select(literal(None).label("unit_id"), Ticket.id.label("ticket_id"), literal(1).label("merged")).where(
        _in_period(Ticket.created_at, scope), Ticket.status == Status.MERGED.value
    )
    return _scope_ticket_columns(stmt, scope)


def src_first_dispatch(scope: Scope):
    """Tickets first dispatched in the period; accurate (一次派准) when the first lead unit
    kept them: never returned, never held by another unit since."""
    other = aliased(Deadline)
    bounced = exists().where(
        other.ticket_id == D.ticket_id,
        or_(
            other.stop_reason == StopReason.RETURNED.value,
            and_(other.kind == DeadlineKind.REPLY.value, other.unit_id != D.unit_id),
        ),
    )
    stmt = select(
        D.unit_id.label("unit_id"),
        D.ticket_id.label("ticket_id"),
        literal(1).label("first_dispatched"),
        _flag(~bounced).label("dispatched_accurately"),
    ).where(D.kind == DeadlineKind.REPLY.value, D.sequence == 1, _in_period(D.started_at, scope))
    return _ticket_scope(stmt, D.ticket_id, scope)


def src_bounces(scope: Scope):
    """Every return (退单) of a ticket by any unit in the period: a bounce between units."""
    stmt = select(D.unit_id.label("unit_id"), D.ticket_id.label("ticket_id"), literal(1).label("bounces")).where(
        D.kind == DeadlineKind.REPLY.value,
        D.stop_reason == StopReason.RETURNED.value,
        _in_period(D.stopped_at, scope),
    )
    return _ticket_scope(stmt, D.ticket_id, scope)


CENTRE_FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("centre_received", src_volume),
        Figure("answered_on_call", src_volume),
        Figure("dispatched", src_volume),
        Figure("merged", src_merged),
        Figure("first_dispatched", src_first_dispatch),
        Figure("dispatched_accurately", src_first_dispatch),
        Figure("bounces", src_bounces),
    )
}

CENTRE_RATES: dict[str, tuple[str, str]] = {
    "answered_on_call_rate": ("answered_on_call", "centre_received"),
    "first_dispatch_accuracy": ("dispatched_accurately", "first_dispatched"),
}


def _centre_counts(scope: Scope, only: tuple[str, ...] | None = None) -> dict:
    """The centre's counts (all of them, or just the keys ``only``: their sources alone run)."""
    grouped: dict = {}
    for key, fig in CENTRE_FIGURES.items():
        if only is None or key in only:
            grouped.setdefault(fig.source, []).append(key)
    counts = {}
    for source, keys in grouped.items():
        sub = source(scope).subquery()
        row = db.session.execute(select(*[func.coalesce(func.sum(sub.c[k]), 0).label(k) for k in keys])).one()
        counts.update({k: int(getattr(row, k)) for k in keys})
    return counts


def _volume_by(scope: Scope, column) -> list[dict]:
    sub = src_volume(scope).add_columns(column.label("key")).subquery()
    stmt = select(sub.c.key, func.count().label("count")).group_by(sub.c.key).order_by(func.count().desc(), sub.c.key)
    return [{"key": key, "count": count} for key, count in db.session.execute(stmt)]


def change(current: int, before: int) -> float | None:
    """Relative change (环比/同比) as a fraction; None when there was nothing before."""
    return None if not before else (current - before) / before


VOLUME_BY = (
    ("by_channel", Ticket.channel),
    ("by_request_type", Ticket.request_type),
    ("by_category", Ticket.category_id),
    ("by_area", Ticket.area_unit_id),
)


def centre_counts_and_volume(scope: Scope) -> dict:
    """The centre's counts and the volume's breakdowns, raw (live): what a rollup stores."""
    result = {"counts": _centre_counts(scope)}
    for name, column in VOLUME_BY:
        result[name] = _volume_by(scope, column)
    return result


def _received(other: Period, *, now: datetime, category_id, area_unit_id) -> int:
    if other.start >= now:
        return 0
    if category_id is None and area_unit_id is None:
        from . import rollups

        stored = rollups.stored(other, now=now, part="centre")
        if stored is not None:
            return stored["counts"]["centre_received"]
    scope = make_scope(other, now=now, category_id=category_id, area_unit_id=area_unit_id)
    return _centre_counts(scope, ("centre_received",))["centre_received"]


def centre_figures(
    period: Period, *, now: datetime, category_id: int | None = None, area_unit_id: int | None = None
) -> dict:
    """The centre's own figures and the volume of the period, with its month-on-month
    and year-on-year change; a closed month without filters read from its rollup."""
    raw = None
    if category_id is None and area_unit_id is None:
        from . import rollups

        raw = rollups.stored(period, now=now, part="centre")
    if raw is None:
        raw = centre_counts_and_volume(make_scope(period, now=now, category_id=category_id, area_unit_id=area_unit_id))
    counts = raw["counts"]
    result = {"received": counts["centre_received"], **counts}
    for name, (num, den) in CENTRE_RATES.items():
        result[name] = rate(counts[num], counts[den])
    result["by_channel"] = [dict(r) for r in raw["by_channel"]]
    result["by_request_type"] = [dict(r) for r in raw["by_request_type"]]
    result["by_category"] = _labelled(raw["by_category"], "category")
    result["by_area"] = _labelled(raw["by_area"], "area")
    for name, other in (("previous", period.previous()), ("year_before", period.year_before())):
        result[f"received_{name}"] = _received(other, now=now, category_id=category_id, area_unit_id=area_unit_id)
    result["month_on_month"] = change(result["received"], result["received_previous"])
    result["year_on_year"] = change(result["received"], result["received_year_before"])
    return result


def _labelled(rows: list[dict], kind: str) -> list[dict]:
    from ..categories.models import Category

    ids = [r["key"] for r in rows if r["key"] is not None]
    model = Category if kind == "category" else Unit
    names = dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids) if ids else false())).all())
    codes = dict(db.session.execute(select(model.id, model.code).where(model.id.in_(ids) if ids else false())).all())
    return [
        {"key": codes.get(r["key"]), "name": names.get(r["key"], "未填写"), "count": r["count"], "id": r["key"]}
        for r in rows
    ]
