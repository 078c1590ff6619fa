"""Hot topics and spikes API: /api/v1/reports/hot-topics, /api/v1/reports/spikes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app

from ..api.auth import actor, require, token_required
from ..api.helpers import ok, query
from ..api.openapi import doc
from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import InvalidInput
from ..units import queries as unit_queries
from ..units.models import Level
from . import permissions, topics
from .topics_schemas import HotTopicsOut, HotTopicsQuery, SpikesOut, SpikesQuery

bp = Blueprint("reports_topics_api", __name__, url_prefix="/api/v1/reports")
TAGS = ["reports"]
READERS = "supervisor, admin"
_NO_TOPICS = ("Hot topics are for supervisors and admins.", "只有督办人员和管理员可以查看热点诉求。")
_NO_SPIKES = ("Spikes are for supervisors and admins.", "只有督办人员和管理员可以查看突发热点。")
MAX_DAYS = 366


def resolve_period(params, now: datetime) -> topics.Period:
    """The period asked for: a month, a range of days, or (neither) the current month."""
    tz_name = current_app.config["TIMEZONE"]
    if params.month and (params.from_ or params.to):
        raise InvalidInput("Give a month or a range, not both.", message_zh="请选择月份或日期范围之一。", field="month")
    if params.month:
        return topics.month_period(params.month, tz_name)
    if params.from_ is None and params.to is None:
        return topics.month_period(clock.local(now).strftime("%Y-%m"), tz_name)
    if params.from_ is None or params.to is None:
        field = "from" if params.from_ is None else "to"
        raise InvalidInput("Give both from and to.", message_zh="请同时填写开始和结束日期。", field=field)
    if params.to < params.from_:
        raise InvalidInput("to is before from.", message_zh="结束日期早于开始日期。", field="to")
    if (params.to - params.from_).days >= MAX_DAYS:
        raise InvalidInput("The range is longer than a year.", message_zh="日期范围不能超过一年。", field="to")
    zone = ZoneInfo(tz_name)

    def start_of(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    label = f"{params.from_.isoformat()}~{params.to.isoformat()}"
    return topics.Period(start_of(params.from_), start_of(params.to + timedelta(days=1)), label, tz_name)


def resolve_category(code: str | None) -> int | None:
    if not code:
        return None
    category = category_queries.get_by_code(code)
    if category is None:
        raise InvalidInput(f"Unknown category {code!r}.", message_zh="诉求分类不存在。", field="category")
    return category.id


def resolve_area(code: str | None) -> int | None:
    if not code:
        return None
    unit = unit_queries.get_by_code(code)
    if unit is None or unit.level not in (Level.DISTRICT, Level.TOWN):
        raise InvalidInput(f"Unknown area {code!r}.", message_zh="所属区域不存在（应为区或镇街编码）。", field="area")
    return unit.id


def period_out(period: topics.Period) -> dict[str, str]:
    return {
        "label": period.label,
        "from": clock.isoformat(period.start),
        "to": clock.isoformat(period.end),
    }


@bp.get("/hot-topics")
@doc(
    summary="Hot topics (热点诉求) of a period",
    tags=TAGS,
    query=HotTopicsQuery,
    response=HotTopicsOut,
    roles=READERS,
    description="Topics found in the tickets' text; `change` is against the previous period of the same "
    "length (the month before for a month). Filters: category, area.",
)
@token_required
def hot_topics():
    require(permissions.can_view_hot_topics(actor()), *_NO_TOPICS)
    params = query(HotTopicsQuery)
    now = clock.now()
    period = resolve_period(params, now)
    found = topics.hot_topics(
        period,
        now=now,
        limit=params.limit,
        category_id=resolve_category(params.category),
        area_unit_id=resolve_area(params.area),
    )
    return ok(HotTopicsOut(period=period_out(period), topics=found))


@bp.get("/spikes")
@doc(
    summary="Current spikes (突发热点)",
    tags=TAGS,
    query=SpikesQuery,
    response=SpikesOut,
    roles=READERS,
    description="Open spikes: one issue from many distinct callers in 72 hours in one area or category, "
    "well above its usual level; recorded every 10 minutes.",
)
@token_required
def spikes():
    require(permissions.can_view_spikes(actor()), *_NO_SPIKES)
    params = query(SpikesQuery)
    return ok(SpikesOut(spikes=topics.current_spikes(clock.now(), area_unit_id=resolve_area(params.area))))
