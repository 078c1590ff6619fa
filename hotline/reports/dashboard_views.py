"""The dashboard as JSON: GET /api/v1/reports/dashboard (the page's data, same scope rules)."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel, Field

from ..api.auth import actor, require, token_required
from ..api.helpers import ok
from ..api.openapi import doc
from ..core import clock
from . import dashboard, permissions

bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1/reports")


class DeadlineRowOut(BaseModel):
    ticket: str
    kind: str = Field(description="accept (签收时限) or reply (答复时限)")
    kind_label: str
    status: str
    status_label: str
    unit: str
    unit_name: str
    due_at: str
    minutes_left: int = Field(description="negative when overdue")
    summary: str = Field(description="the start of the ticket's text, phone numbers masked")


class DueSoonOut(BaseModel):
    hours: int
    total: int
    items: list[DeadlineRowOut]


class OverdueUnitOut(BaseModel):
    unit: str
    unit_name: str
    tickets: int
    accept: int
    reply: int
    oldest_due_at: str
    hours_over: float


class OverdueOut(BaseModel):
    total: int = Field(description="tickets overdue now (per unit; a ticket late at two units counts twice)")
    unit_count: int
    units: list[OverdueUnitOut] = Field(description="the units with most overdue tickets (at most 20)")
    items: list[DeadlineRowOut] = Field(description="the longest overdue (at most 30)")


class ExtensionRequestOut(BaseModel):
    id: int
    ticket: str
    unit: str
    unit_name: str
    hours: int
    reason: str
    requested_at: str
    waiting_minutes: int
    due_at: str | None
    minutes_left: int | None


class ExtensionRequestsOut(BaseModel):
    total: int
    items: list[ExtensionRequestOut]


class VolumeOut(BaseModel):
    today: int
    last_week_same_time: int
    last_week_whole_day: int
    change: float | None = Field(description="today against the same weekday last week at the same time; null if 0")
    last_week_date: str


class RateRowOut(BaseModel):
    unit: str
    unit_name: str
    rate: float | None
    numerator: int | None
    denominator: int | None


class RankedOut(BaseModel):
    best: list[RateRowOut]
    worst: list[RateRowOut]
    rated_units: int


class MonthOut(BaseModel):
    month: str = Field(description="YYYY-MM, the centre's local month so far")
    label: str
    computed_at: str = Field(description="the month's figures are kept a few minutes")
    replied_on_time: RankedOut | None = None
    satisfaction: RankedOut | None = None
    own: dict[str, RateRowOut | None] | None = Field(default=None, description="a unit's own rates")


class CardUnitOut(BaseModel):
    unit: str
    unit_name: str
    yellow: int
    red: int


class CardsOut(BaseModel):
    month: str
    label: str
    yellow: int
    red: int
    units: list[CardUnitOut]


class ScopeOut(BaseModel):
    unit: str | None = Field(description="null: the whole city")
    unit_name: str | None


class DashboardOut(BaseModel):
    scope: ScopeOut
    generated_at: str
    due_soon: DueSoonOut
    overdue: OverdueOut
    extension_requests: ExtensionRequestsOut
    volume: VolumeOut
    month: MonthOut
    cards: CardsOut


@bp.get("/dashboard")
@doc(
    summary="The supervisor's dashboard (工作台): due soon, overdue, extension requests, volume, month rates, cards",
    tags=["reports"],
    response=DashboardOut,
    roles="supervisor, admin (the city); unit_staff (their own unit)",
    description="Unit staff get their own unit's version: its deadlines, its extension requests, its figures.",
)
@token_required
def get_dashboard():
    require(permissions.can_view_dashboard(actor()), "Your role has no dashboard.", "您的角色没有工作台。")
    return ok(DashboardOut.model_validate(dashboard.build(actor(), now=clock.now())))
