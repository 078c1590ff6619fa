"""Deadline policies and the calendar: /api/v1/sla/..."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok, query
from ..api.ids import path_id
from ..api.openapi import doc
from ..core import clock
from ..core.errors import NotFound
from ..extensions import db
from . import calendars, permissions, policies, schemas
from .models import CalendarDay, SlaPolicy

bp = Blueprint("sla_api", __name__, url_prefix="/api/v1/sla")
TAGS = ["deadlines"]


def _require_view_policies():
    require(permissions.can_view_policies(actor()), "Your role may not see deadline policies.", "您无权查看时限规则。")


def _require_manage_policies():
    require(
        permissions.can_manage_policies(actor()),
        "Only admins change deadline policies.",
        "只有系统管理员可以修改时限规则。",
    )


def _require_manage_calendar():
    require(
        permissions.can_manage_calendar(actor()), "Only admins change the calendar.", "只有系统管理员可以修改日历。"
    )


@bp.get("/policies")
@doc(summary="Deadline policies (时限规则)", tags=TAGS, response=schemas.PolicyListOut, roles="admin, supervisor")
@token_required
def list_policies():
    _require_view_policies()
    rows = db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.request_type, SlaPolicy.urgency, SlaPolicy.id))
    return ok(schemas.PolicyListOut(items=[schemas.policy_out(p) for p in rows], default=policies.BUILTIN.as_dict()))


@bp.post("/policies")
@doc(
    summary="Create a deadline policy for a request type and urgency ('*' = any)",
    tags=TAGS,
    body=schemas.PolicyIn,
    response=schemas.PolicyOut,
    status=201,
    roles="admin",
    description="Applies to tickets dispatched from now on; running deadlines keep the policy they started with.",
)
@token_required
def create_policy():
    _require_manage_policies()
    data = body(schemas.PolicyIn)
    policy = policies.create_policy(actor=actor(), now=clock.now(), values=data.model_dump())
    db.session.commit()
    return ok(schemas.policy_out(policy), 201)


@bp.patch("/policies/<policy_id>")
@doc(
    summary="Change a deadline policy (its version goes up)",
    tags=TAGS,
    body=schemas.PolicyPatchIn,
    response=schemas.PolicyOut,
    roles="admin",
    description="Applies to tickets dispatched from now on; running deadlines keep their snapshot. "
    "accept_hours, warn_ratio and red_ratio may be set to null to switch that point off.",
)
@token_required
def update_policy(policy_id):
    _require_manage_policies()
    policy = db.session.get(SlaPolicy, path_id(policy_id, "policy", "时限规则"))
    if policy is None:
        raise NotFound(f"No policy {policy_id}.", message_zh="时限规则不存在。")
    data = body(schemas.PolicyPatchIn)
    policies.update_policy(
        policy, actor=actor(), now=clock.now(), changes=changes(data, nullable=schemas.POLICY_NULLABLE)
    )
    db.session.commit()
    return ok(schemas.policy_out(policy))


@bp.get("/calendar/days")
@doc(
    summary="Admin-entered holidays and working days",
    tags=TAGS,
    query=schemas.CalendarDaysQuery,
    response=schemas.CalendarDayListOut,
    roles="admin, supervisor",
)
@token_required
def list_days():
    require(permissions.can_view_calendar(actor()), "Your role may not see the calendar.", "您无权查看日历。")
    params = query(schemas.CalendarDaysQuery)
    return ok(schemas.CalendarDayListOut(items=[schemas.calendar_day_out(d) for d in calendars.days(params.year)]))


@bp.post("/calendar/days")
@doc(
    summary="Enter a holiday (is_working false) or a working day (true), e.g. for a year the package does not know",
    tags=TAGS,
    body=schemas.CalendarDayIn,
    response=schemas.CalendarDayOut,
    status=201,
    roles="admin",
)
@token_required
def add_day():
    _require_manage_calendar()
    data = body(schemas.CalendarDayIn)
    row = calendars.add_day(actor=actor(), now=clock.now(), day=data.day, is_working=data.is_working, note=data.note)
    db.session.commit()
    return ok(schemas.calendar_day_out(row), 201)


@bp.delete("/calendar/days/<day>")
@doc(summary="Delete an entered date", tags=TAGS, roles="admin")
@token_required
def delete_day(day):
    _require_manage_calendar()
    try:
        parsed = schemas.parse_day(day)
    except ValueError:
        raise NotFound(f"No entered date {day}.", message_zh="该日期未录入。") from None
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == parsed))
    if row is None:
        raise NotFound(f"No entered date {day}.", message_zh="该日期未录入。")
    calendars.delete_day(row, actor=actor(), now=clock.now())
    db.session.commit()
    return "", 204


@bp.get("/calendar/warnings")
@doc(
    summary="Years a deadline needed and no calendar knows (counted Monday to Friday until entered)",
    tags=TAGS,
    response=schemas.CalendarWarningListOut,
    roles="admin, supervisor",
)
@token_required
def calendar_warnings():
    require(permissions.can_view_calendar(actor()), "Your role may not see the calendar.", "您无权查看日历。")
    items = [
        schemas.CalendarWarningOut(
            year=w.year, message=w.message, first_seen_at=clock.isoformat(w.first_seen_at), resolved=resolved
        )
        for w, resolved in calendars.warnings()
    ]
    return ok(schemas.CalendarWarningListOut(items=items))
