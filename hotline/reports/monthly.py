"""The monthly bulletin's document (运行情况通报): one JSON-ready dict, the public interface.

``compute(month, now=...)`` assembles it from the figures (hotline.reports.figures and
scores: every number is defined there and in definitions.py, never here) and the hot
topics (hotline.reports.topics). A month not yet over is computed as of ``now``.

The document (keys a tool outside may rely on are marked *):

    month*            "2026-11" (the month in the centre's time zone)
    published*        false for a computation; true in a published bulletin
    published_at      ISO time of publication, or null
    title, as_of      the title; the time the figures were computed
    period            {"start", "end", "complete"}: [start, end) in the centre's zone
    centre*           {"received", "answered_on_call_rate", "first_dispatch_accuracy",
                       "answered_on_call", "dispatched", "bounces", "received_mom", "received_yoy"}
    summary           the city-wide figures (figures.total_figures: a ticket held by several
                      units in turn counts once)
    volume            {"by_channel", "by_request_type", "by_category", "by_area"}: [{"key", "label", "count"}]
    trend             twelve months up to this one: [{"month", "received", "answered_on_call"}]
    units*            one row per unit: the keys of figures.unit_figures (the public ones,
                      each rate's numerator and denominator...), "score", "rank" and
                      "rank_group" ("city": city departments; "local": districts and
                      towns/streets, ranked apart)
    scheme            the score scheme used: {"name", "version"}
    hot_topics*       topics.hot_topics: [{"label", "keywords", "count", "change", "areas",
                      "categories", "tickets", ...}]
    spikes*           the spikes that began in the month (topics.spikes_out)
    worst_overdue     the most overdue tickets due in the month
    exemptions        the approved exemptions of the month (the appendix)
    definitions       [{"key", "name", "definition"}]: the notes (definitions.py), the
                      general rules first
    corrections       only on a published bulletin: its dated corrections (更正)
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app

from ..core import clock
from ..core.errors import InvalidInput

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LEVELS = [
    {"key": "city", "label": "市级部门"},
    {"key": "district", "label": "区级"},
    {"key": "town", "label": "镇街"},
]
TREND_MONTHS = 12
WORST_OVERDUE = 10
HOT_TOPICS = 10

# The units' columns of the bulletin's tables (HTML and Excel), in print order:
# (key, kind) with kind int | rate | score | text; the headers are the figures' names
# in definitions.py, so the tables and the notes say the same.
_UNIT_KEYS = [
    ("rank", "int"),
    ("name", "text"),
    ("received", "int"),
    ("accepted_on_time_rate", "rate"),
    ("replied_on_time_rate", "rate"),
    ("early_rate", "rate"),
    ("satisfaction_rate", "rate"),
    ("resolution_rate", "rate"),
    ("overdue", "int"),
    ("still_open", "int"),
    ("returned", "int"),
    ("reopened", "int"),
    ("extensions", "int"),
    ("yellow_cards", "int"),
    ("red_cards", "int"),
    ("exempted", "int"),
    ("score", "score"),
]
_CENTRE_KEYS = [
    ("received", "int"),
    ("received_mom", "change"),
    ("received_yoy", "change"),
    ("answered_on_call", "int"),
    ("answered_on_call_rate", "rate"),
    ("dispatched", "int"),
    ("first_dispatch_accuracy", "rate"),
    ("bounces", "int"),
]
_SUMMARY_KEYS = [
    ("received", "int"),
    ("replied_on_time_rate", "rate"),
    ("satisfaction_rate", "rate"),
    ("resolution_rate", "rate"),
    ("overdue", "int"),
    ("still_open", "int"),
    ("yellow_cards", "int"),
    ("red_cards", "int"),
    ("exempted", "int"),
]
_OWN_LABELS = {  # names not in definitions.py
    "name": "单位",
    "received_mom": "话务受理量环比",
    "received_yoy": "话务受理量同比",
    "dispatched": "派单数",
}
_CENTRE_NAMES = {"received": "centre_received"}


def _label(key: str, *, centre: bool = False) -> str:
    from .definitions import label

    if key in _OWN_LABELS:
        return _OWN_LABELS[key]
    return label(_CENTRE_NAMES.get(key, key) if centre else key)


def unit_columns() -> list[tuple[str, str, str]]:
    """(key, Chinese header, kind) of the units' tables."""
    return [(key, _label(key), kind) for key, kind in _UNIT_KEYS]


def centre_rows() -> list[tuple[str, str, str]]:
    return [(key, _label(key, centre=True), kind) for key, kind in _CENTRE_KEYS]


def summary_rows() -> list[tuple[str, str, str]]:
    return [(key, _label(key), kind) for key, kind in _SUMMARY_KEYS]


def parse_month(text: str | None, *, now: datetime) -> str:
    """``YYYY-MM`` of a month that has begun (in the centre's zone), or InvalidInput."""
    value = (text or "").strip()
    if not MONTH_RE.match(value):
        raise InvalidInput(
            f"month must be YYYY-MM (for example 2026-11), not {text!r}.",
            message_zh="月份格式应为“年-月”，例如 2026-11。",
            field="month",
        )
    if value > clock.local(now).strftime("%Y-%m"):
        raise InvalidInput(f"{value} has not begun yet.", message_zh=f"{value} 尚未开始，无法生成通报。", field="month")
    if value < "2000-01":
        raise InvalidInput(f"{value} is too early.", message_zh="月份过早。", field="month")
    return value


def month_label(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def shift_month(month: str, delta: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + (mon - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _zone() -> str:
    return current_app.config.get("TIMEZONE", "Asia/Shanghai")


def compute(month: str, *, now: datetime) -> dict:
    """The bulletin of ``month`` computed from the database as of ``now`` (not published)."""
    from . import monthly_parts as parts
    from . import periods, scores, topics
    from .figures import centre_figures, unit_and_total_figures

    month = parse_month(month, now=now)
    period = periods.month_period(month, _zone())
    scheme = scores.scheme_for_period(period, now=now)
    unit_rows, total = unit_and_total_figures(period, now=now)  # each source read once for both
    units = scores.score_units(unit_rows, scheme)
    units.sort(key=lambda r: (LEVELS_ORDER.get(r["level"], 9), r["rank"] is None, r["rank"] or 0, r["code"]))
    centre = centre_figures(period, now=now)
    return {
        "month": month,
        "title": f"12345政务服务热线运行情况通报（{month_label(month)}）",
        "published": False,
        "published_at": None,
        "as_of": clock.isoformat(now),
        "period": {
            "start": clock.isoformat(period.start),
            "end": clock.isoformat(period.end),
            "complete": now >= period.end,
        },
        "centre": parts.centre_block(centre),
        "summary": parts.summary_block(total),
        "volume": parts.volume_block(centre),
        "trend": parts.trend(period, now=now),
        "levels": LEVELS,
        "units": [parts.unit_row(r) for r in units],
        "scheme": {"name": scheme.name, "version": scheme.version},
        "hot_topics": topics.hot_topics(period, now=now, limit=HOT_TOPICS),
        "spikes": parts.spikes_of(period, now=now),
        "worst_overdue": parts.worst_overdue(period, now=now, limit=WORST_OVERDUE),
        "exemptions": parts.exemptions(period, now=now),
        "definitions": parts.definitions(),
    }


LEVELS_ORDER = {"city": 0, "district": 1, "town": 2}
