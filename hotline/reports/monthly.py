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
    summary           city-wide totals of the units' figures (rates over the summed parts)
    volume            {"by_channel", "by_request_type", "by_category", "by_area"}: [{"key", "label", "count"}]
    trend             twelve months up to this one: [{"month", "received", "answered_on_call"}]
    units*            one row per unit: the public keys of figures.unit_figures, "score",
                      "rank", "group" ("city": city departments; "local": districts and
                      towns/streets, ranked apart) and "level_label"
    scheme            the score scheme used: {"name", "version"}
    hot_topics*       [{"label", "count", "change", "tickets", ...}]
    spikes*           [...] the spikes current at ``as_of``
    worst_overdue     the most overdue tickets due in the month
    exemptions        the approved exemptions of the month (the appendix)
    definitions       [{"key", "name", "definition"}]: the notes
    corrections       only on a published bulletin: its dated corrections (更正)
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app

from ..core import clock
from ..core.errors import InvalidInput
from ..units.models import LEVEL_LABELS, Level

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
# (key, Chinese header, kind) with kind int | rate | score | text.
UNIT_COLUMNS = [
    ("rank", "排名", "int"),
    ("name", "单位", "text"),
    ("received", "受理量", "int"),
    ("accepted_on_time_rate", "签收及时率", "rate"),
    ("replied_on_time_rate", "按期办结率", "rate"),
    ("early_rate", "提前办结率", "rate"),
    ("satisfaction_rate", "满意率", "rate"),
    ("resolution_rate", "解决率", "rate"),
    ("overdue", "超期件", "int"),
    ("still_open", "未办结", "int"),
    ("returned", "退单", "int"),
    ("reopened", "重办", "int"),
    ("extensions", "延期申请", "int"),
    ("yellow_cards", "黄牌", "int"),
    ("red_cards", "红牌", "int"),
    ("exempted", "免责", "int"),
    ("score", "综合得分", "score"),
]
CENTRE_ROWS = [
    ("received", "受理量", "int"),
    ("received_mom", "受理量环比", "change"),
    ("received_yoy", "受理量同比", "change"),
    ("answered_on_call", "直接答复量", "int"),
    ("answered_on_call_rate", "直接答复率", "rate"),
    ("dispatched", "派单量", "int"),
    ("first_dispatch_accuracy", "一次派准率", "rate"),
    ("bounces", "单位间流转次数", "int"),
]
SUMMARY_ROWS = [
    ("received", "成员单位受理量", "int"),
    ("replied_on_time_rate", "按期办结率", "rate"),
    ("satisfaction_rate", "满意率", "rate"),
    ("resolution_rate", "解决率", "rate"),
    ("overdue", "超期件", "int"),
    ("yellow_cards", "黄牌", "int"),
    ("red_cards", "红牌", "int"),
    ("exempted", "免责件", "int"),
]


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


def _group(level: str) -> str:
    return "city" if level == Level.CITY else "local"


def compute(month: str, *, now: datetime) -> dict:
    """The bulletin of ``month`` computed from the database as of ``now`` (not published)."""
    from . import periods, scores, topics
    from .figures import centre_figures, unit_figures

    month = parse_month(month, now=now)
    period = periods.month_period(month, _zone())
    as_of = min(now, period.end)
    units = scores.score_units(unit_figures(period, now=as_of), scores.active_scheme(as_of))
    for row in units:
        row["group"] = _group(row["level"])
        row["level_label"] = LEVEL_LABELS.get(row["level"], row["level"])
    units.sort(key=lambda r: (LEVELS_ORDER.get(r["level"], 9), r["rank"] is None, r["rank"] or 0, r["code"]))
    centre = centre_figures(period, now=as_of)
    from . import monthly_parts as parts

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
        "summary": parts.summary_block(units),
        "volume": parts.volume_block(centre),
        "trend": parts.trend(month, now=as_of),
        "levels": LEVELS,
        "units": [parts.unit_row(r) for r in units],
        "scheme": parts.scheme_block(scores.active_scheme(as_of)),
        "hot_topics": [parts.topic_row(t) for t in topics.hot_topics(period, now=as_of, limit=HOT_TOPICS)],
        "spikes": [parts.spike_row(s) for s in topics.current_spikes(as_of)],
        "worst_overdue": parts.worst_overdue(period, now=as_of, limit=WORST_OVERDUE),
        "exemptions": parts.exemptions(period),
        "definitions": parts.definitions(),
    }


LEVELS_ORDER = {"city": 0, "district": 1, "town": 2}
