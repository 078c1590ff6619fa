"""The supervisors' hot-topics page: /reports/hot-topics (热点诉求 and current spikes)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..categories.models import Category
from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db
from ..units.models import Level, Unit
from ..web.helpers import filters, role_required
from . import permissions, topics
from .topics_schemas import HotTopicsQuery
from .topics_views import resolve_area, resolve_category, resolve_period

bp = Blueprint("web_reports_topics", __name__)


@bp.get("/reports/hot-topics")
@role_required(permissions.can_view_hot_topics)
def hot_topics():
    now = clock.now()
    params = filters(HotTopicsQuery, request.args) or HotTopicsQuery()
    try:
        period = resolve_period(params, now)
        category_id, area_id = resolve_category(params.category), resolve_area(params.area)
    except InvalidInput as exc:
        flash(f"筛选条件有误：{exc.message_zh}", "error")
        params = HotTopicsQuery()
        period, category_id, area_id = resolve_period(params, now), None, None
    found = topics.hot_topics(period, now=now, limit=params.limit, category_id=category_id, area_unit_id=area_id)
    spikes = topics.current_spikes(now) if permissions.can_view_spikes(current_user) else []
    areas = db.session.scalars(
        select(Unit).where(Unit.level.in_([Level.DISTRICT, Level.TOWN]), Unit.is_active).order_by(Unit.code)
    ).all()
    categories = db.session.scalars(select(Category).where(Category.is_active).order_by(Category.code)).all()
    return render_template(
        "reports/hot_topics.html",
        params=params,
        period=period,
        last_day=clock.local(min(period.end, now) - timedelta(seconds=1)),
        first_day=clock.local(period.start),
        topics=found,
        spikes=spikes,
        areas=areas,
        categories=categories,
    )
