"""The parts of the bulletin's document (see monthly.py), each from the figures' own
sources (figures.py, topics.py): nothing here defines a figure, it selects and shapes
them for print."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, false, func, select

from ..core import clock
from ..extensions import db
from ..sla.models import Deadline
from ..tickets.models import CHANNEL_LABELS, REQUEST_TYPE_LABELS, Ticket
from ..tickets.states import STATUS_LABELS
from ..units.models import Unit
from . import monthly

# Internal ids stay out of the public document.
_PRIVATE = ("unit_id",)


def _iso(value):
    return clock.isoformat(value) if isinstance(value, datetime) else value


def centre_block(centre: dict) -> dict:
    return {
        "received": centre["received"],
        "answered_on_call": centre["answered_on_call"],
        "answered_on_call_rate": centre["answered_on_call_rate"],
        "dispatched": centre["dispatched"],
        "first_dispatched": centre["first_dispatched"],
        "first_dispatch_accuracy": centre["first_dispatch_accuracy"],
        "bounces": centre["bounces"],
        "merged": centre["merged"],
        "received_previous": centre["received_previous"],
        "received_year_before": centre["received_year_before"],
        "received_mom": centre["month_on_month"],
        "received_yoy": centre["year_on_year"],
    }


def summary_block(total: dict) -> dict:
    return {key: value for key, value in total.items() if key not in _PRIVATE}


def _labelled(rows: list[dict], labels: dict) -> list[dict]:
    return [{"key": r["key"], "label": labels.get(r["key"], r["key"]), "count": r["count"]} for r in rows]


def volume_block(centre: dict) -> dict:
    return {
        "by_channel": _labelled(centre["by_channel"], {k.value: v for k, v in CHANNEL_LABELS.items()}),
        "by_request_type": _labelled(centre["by_request_type"], {k.value: v for k, v in REQUEST_TYPE_LABELS.items()}),
        "by_category": [{"key": r["key"], "label": r["name"], "count": r["count"]} for r in centre["by_category"]],
        "by_area": [{"key": r["key"], "label": r["name"], "count": r["count"]} for r in centre["by_area"]],
    }


def unit_row(row: dict) -> dict:
    return {key: value for key, value in row.items() if key not in _PRIVATE}


def trend(period, *, now: datetime) -> list[dict]:
    """Tickets taken (话务受理量) and answered on the call in each of the twelve months up to
    ``period``: the closed months' from their rollups (hotline.reports.rollups) where
    current, the others counted live (:func:`_trend_live`)."""
    from . import rollups
    from .periods import month_period

    zone = monthly._zone()
    months = [monthly.shift_month(period.month, -back) for back in range(monthly.TREND_MONTHS - 1, -1, -1)]
    bounds = {m: month_period(m, zone) for m in months}
    counts = {
        m: (c["centre_received"], c["answered_on_call"])
        for m, c in rollups.stored_centre_counts(bounds, now=now).items()
    }
    run: list[str] = []  # consecutive months counted live in one pass
    for m in [*months, None]:
        if m is not None and m not in counts:
            run.append(m)
            continue
        if run:
            counts.update(_trend_live([bounds[r] for r in run], run, upto=min(bounds[run[-1]].end, period.upto(now))))
            run = []
    return [{"month": m, "received": counts[m][0], "answered_on_call": counts[m][1]} for m in months]


def _trend_live(bounds: list, months: list[str], *, upto: datetime) -> dict:
    """One pass over the figures' own volume source (figures.src_volume) for consecutive
    months, each month's two counts a SUM over the rows whose created_at falls in that
    month's UTC bounds (one row back, no GROUP BY: the same SQL on SQLite and PostgreSQL)."""
    from .figures import src_volume
    from .scope import Scope

    scope = Scope(start=bounds[0].start, upto=upto)
    sub = src_volume(scope).add_columns(Ticket.created_at.label("created_at")).subquery()
    columns = []
    for p in bounds:
        inside = and_(sub.c.created_at >= p.start, sub.c.created_at < p.end)
        columns.append(func.sum(case((inside, sub.c.centre_received), else_=0)))
        columns.append(func.sum(case((inside, sub.c.answered_on_call), else_=0)))
    row = db.session.execute(select(*columns)).one()
    return {m: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0)) for i, m in enumerate(months)}


def spikes_of(period, *, now: datetime, limit: int = 10) -> list[dict]:
    """The spikes (突发聚集诉求) that began in the month, the most callers first."""
    from .topics import spikes_out
    from .topics_models import Spike

    stmt = (
        select(Spike)
        .where(Spike.first_at >= period.start, Spike.first_at < period.upto(now))
        .order_by(Spike.callers.desc(), Spike.id)
        .limit(limit)
    )
    return [{k: _iso(v) for k, v in s.items()} for s in spikes_out(list(db.session.scalars(stmt)))]


def _lateness(now: datetime):
    from .sqlfuncs import epoch

    return (epoch(func.coalesce(Deadline.stopped_at, now)) - epoch(Deadline.due_at)).label("late_seconds")


def worst_candidates(period, *, now: datetime, keep: int) -> dict:
    """What a rollup keeps to give the worst overdue list of a closed month at any later
    time: the ``keep`` latest of the overdue deadlines already stopped (their lateness is
    fixed) and every one still running (late until now, so it grows)."""
    from .figures import src_reply
    from .scope import make_scope

    sub = src_reply(make_scope(period, now=now)).subquery()

    def overdue(*columns):
        return select(*columns).join(sub, sub.c.deadline_id == Deadline.id).where(sub.c.reply_overdue == 1)

    lateness = _lateness(now)
    closed = db.session.execute(
        overdue(Deadline.id, lateness)
        .where(Deadline.stopped_at.is_not(None))
        .order_by(lateness.desc(), Deadline.id)
        .limit(keep)
    ).all()
    running = db.session.scalars(overdue(Deadline.id).where(Deadline.stopped_at.is_(None))).all()
    return {"keep": keep, "closed": [[i, float(s)] for i, s in closed], "open": sorted(running)}


def worst_overdue(period, *, now: datetime, limit: int) -> list[dict]:
    """The most overdue of the reply deadlines the figures count as overdue (超期数) in the
    month: late by the longest (until the reply, or until now if still not replied). A
    closed month's are chosen among its rollup's candidates (:func:`worst_candidates`)."""
    from . import rollups
    from .figures import src_reply
    from .scope import make_scope

    lateness = _lateness(now)
    stored = rollups.stored(period, now=now, part="worst")
    if stored is not None and stored["keep"] >= limit:
        ids = [i for i, _ in stored["closed"]] + list(stored["open"])
        top = select(Deadline.id.label("id"), lateness).where(Deadline.id.in_(ids) if ids else false())
    else:
        sub = src_reply(make_scope(period, now=now)).subquery()
        top = select(Deadline.id.label("id"), lateness).join(sub, sub.c.deadline_id == Deadline.id)
        top = top.where(sub.c.reply_overdue == 1)
    # The ``limit`` worst first (ids only), then their rows: the objects' eager loads run
    # for those few, not for every overdue deadline of the month.
    top = top.order_by(lateness.desc(), Deadline.id).limit(limit).subquery()
    stmt = (
        select(Deadline, Ticket, Unit, top.c.late_seconds)
        .join(top, top.c.id == Deadline.id)
        .join(Ticket, Ticket.id == Deadline.ticket_id)
        .join(Unit, Unit.id == Deadline.unit_id)
        .order_by(top.c.late_seconds.desc(), Deadline.id)
    )
    return [_worst_row(*row) for row in db.session.execute(stmt)]


def _worst_row(deadline, ticket, unit, late_seconds) -> dict:
    return {
        "number": ticket.number,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "category": ticket.category.name if ticket.category else "",
        "due_at": clock.isoformat(deadline.due_at),
        "replied_at": clock.isoformat(deadline.stopped_at) if deadline.stopped_at else None,
        "overdue_hours": round(float(late_seconds) / 3600, 1),
        "status_label": STATUS_LABELS.get(ticket.status, ticket.status),
    }


def exemptions(period, *, now: datetime) -> list[dict]:
    """The exemptions (考核免责) approved in the month: the bulletin's appendix (the same
    rows as the figure 免责工单数)."""
    from .models import Exemption, ExemptionStatus

    stmt = (
        select(Exemption)
        .where(
            Exemption.status == ExemptionStatus.APPROVED.value,
            Exemption.decided_at >= period.start,
            Exemption.decided_at < period.upto(now),
        )
        .order_by(Exemption.decided_at, Exemption.id)
    )
    return [
        {
            "number": e.ticket.number,
            "unit_code": e.unit.code,
            "unit_name": e.unit.name,
            "reason": e.reason.name,
            "note": e.note,
            "decided_at": clock.isoformat(e.decided_at),
        }
        for e in db.session.scalars(stmt)
    ]


def definitions() -> list[dict]:
    from .definitions import GENERAL, notes

    general = GENERAL.removeprefix("统计口径：")
    return [{"key": "general", "name": "统计口径", "definition": general}] + [
        {"key": d.key, "name": d.name, "definition": d.text} for d in notes()
    ]
