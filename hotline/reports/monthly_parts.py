"""The parts of the bulletin's document (see monthly.py), each from the figures' own
functions: nothing here defines a figure, it only selects, sums parts already counted,
and shapes them for print."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..core import clock
from ..extensions import db
from . import monthly

# Rates the summary recomputes city-wide from the units' numerators and denominators.
SUMMED_RATES = ("replied_on_time_rate", "satisfaction_rate", "resolution_rate")
SUMMED_COUNTS = ("received", "overdue", "yellow_cards", "red_cards", "exempted")


def centre_block(centre: dict) -> dict:
    return {
        "received": centre["received"],
        "answered_on_call": centre["answered_on_call"],
        "answered_on_call_rate": centre["answered_on_call_rate"],
        "dispatched": centre["dispatched"],
        "first_dispatch_accuracy": centre["first_dispatch_accuracy"],
        "bounces": centre["bounces"],
        "received_mom": centre.get("received_mom"),
        "received_yoy": centre.get("received_yoy"),
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


def summary_block(units: list[dict]) -> dict:
    """City-wide totals of the units' figures; a rate is the sum of the units' numerators
    over the sum of their denominators (not an average of rates)."""
    out: dict = {key: sum(u.get(key) or 0 for u in units) for key in SUMMED_COUNTS}
    for key in SUMMED_RATES:
        num = sum(u.get(f"{key}_numerator") or 0 for u in units)
        den = sum(u.get(f"{key}_denominator") or 0 for u in units)
        out[key] = _rate(num, den)
    return out


def volume_block(centre: dict) -> dict:
    return {key: list(centre.get(key) or []) for key in ("by_channel", "by_request_type", "by_category", "by_area")}


def unit_row(row: dict) -> dict:
    return dict(row)


def scheme_block(scheme) -> dict:
    return {"name": getattr(scheme, "name", None) or "默认考核方案", "version": getattr(scheme, "version", 1)}


def topic_row(topic: dict) -> dict:
    return dict(topic)


def spike_row(spike: dict) -> dict:
    out = dict(spike)
    for key in ("first_at", "last_at"):
        if isinstance(out.get(key), datetime):
            out[key] = clock.isoformat(out[key])
    return out


def trend(month: str, *, now: datetime) -> list[dict]:
    """Tickets taken and answered on the call in each of the twelve months up to ``month``."""
    from . import periods
    from .figures import centre_figures

    zone = monthly._zone()
    rows = []
    for back in range(monthly.TREND_MONTHS - 1, -1, -1):
        label = monthly.shift_month(month, -back)
        figures = centre_figures(periods.month_period(label, zone), now=now)
        rows.append({"month": label, "received": figures["received"], "answered_on_call": figures["answered_on_call"]})
    return rows


def worst_overdue(period, *, now: datetime, limit: int) -> list[dict]:
    from .drill import tickets_behind

    stmt = tickets_behind("overdue", "numerator", period)
    tickets = list(db.session.scalars(stmt.limit(limit)))
    return [_overdue_row(t, now) for t in tickets]


def _overdue_row(ticket, now: datetime) -> dict:
    from ..tickets.states import STATUS_LABELS

    end = ticket.replied_at if ticket.replied_at and ticket.replied_at > ticket.reply_due_at else now
    return {
        "number": ticket.number,
        "unit_code": ticket.lead_unit.code if ticket.lead_unit else None,
        "unit_name": ticket.lead_unit.name if ticket.lead_unit else "",
        "category": ticket.category.name if ticket.category else "",
        "due_at": clock.isoformat(ticket.reply_due_at),
        "overdue_hours": round((end - ticket.reply_due_at).total_seconds() / 3600, 1),
        "status_label": STATUS_LABELS.get(ticket.status, ticket.status),
    }


def exemptions(period) -> list[dict]:
    from .models import Exemption

    stmt = select(Exemption).where(Exemption.status == "approved")
    return [{"number": e.ticket.number} for e in db.session.scalars(stmt)]


def definitions() -> list[dict]:
    from .definitions import DEFINITIONS

    return [{"key": d["key"], "name": d["name"], "definition": d["definition"]} for d in DEFINITIONS]
