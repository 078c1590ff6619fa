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


class DashDeadlineRowOut(BaseModel):
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


class DashDueSoonOut(BaseModel):
    hours: int
    total: int
    items: list[DashDeadlineRowOut]


class DashOverdueUnitOut(BaseModel):
    unit: str
    unit_name: str
    tickets: int
    accept: int
    reply: int
    oldest_due_at: str
    hours_over: float


class DashOverdueOut(BaseModel):
    total: int = Field(description="tickets overdue now (per unit; a ticket late at two units counts twice)")
    unit_count: int
    units: list[DashOverdueUnitOut] = Field(description="the units with most overdue tickets (at most 20)")
    items: list[DashDeadlineRowOut] = Field(description="the longest overdue (at most 30)")


class DashExtensionRequestOut(BaseModel):
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


class DashExtensionRequestsOut(BaseModel):
    total: int
    items: list[DashExtensionRequestOut]


class DashVolumeOut(BaseModel):
    today: int
    last_week_same_time: int
    last_week_whole_day: int
    change: float | None = Field(description="today against the same weekday last week at the same time; null if 0")
    last_week_date: str


class DashRateRowOut(BaseModel):
    unit: str
    unit_name: str
    rate: float | None
    numerator: int | None
    denominator: int | None


class DashRankedOut(BaseModel):
    best: list[DashRateRowOut]
    worst: list[DashRateRowOut]
    rated_units: int


class DashMonthOut(BaseModel):
    month: str = Field(description="YYYY-MM, the centre's local month so far")
    label: str
    pending: bool = Field(description="true while the month's figures are first computed (in the background)")
    computed_at: str | None = Field(default=None, description="the month's figures are kept a few minutes")
    replied_on_time: DashRankedOut | None = None
    satisfaction: DashRankedOut | None = None
    own: dict[str, DashRateRowOut | None] | None = Field(default=None, description="a unit's own rates")


class DashCardUnitOut(BaseModel):
    unit: str
    unit_name: str
    yellow: int
    red: int


class DashCardsOut(BaseModel):
    month: str
    label: str
    yellow: int
    red: int
    units: list[DashCardUnitOut]


class DashSpikeOut(BaseModel):
    label: str
    keywords: list[str]
    callers: int
    tickets_count: int
    area_name: str | None
    category_name: str | None
    first_at: str
    last_at: str
    tickets: list[str] = Field(description="the latest ticket numbers (at most 5)")


class DashSpikesOut(BaseModel):
    total: int
    items: list[DashSpikeOut] = Field(description="the spikes with most callers (at most 5)")


class DashScopeOut(BaseModel):
    unit: str | None = Field(description="null: the whole city")
    unit_name: str | None


class DashboardOut(BaseModel):
    scope: DashScopeOut
    generated_at: str
    due_soon: DashDueSoonOut
    overdue: DashOverdueOut
    extension_requests: DashExtensionRequestsOut
    volume: DashVolumeOut
    month: DashMonthOut
    cards: DashCardsOut
    spikes: DashSpikesOut | None = Field(description="current spikes (突发热点); null for a unit's staff")


@bp.get("/dashboard")
@doc(
    summary="The supervisor's dashboard (工作台): due soon, overdue, extension requests, volume, month rates, "
    "cards, spikes",
    tags=["reports"],
    response=DashboardOut,
    roles="supervisor, admin (the city); unit_staff (their own unit)",
    description="Unit staff get their own unit's version: its deadlines, its extension requests, its figures.",
)
@token_required
def get_dashboard():
    require(permissions.can_view_dashboard(actor()), "Your role has no dashboard.", "您的角色没有工作台。")
    return ok(DashboardOut.model_validate(dashboard.build(actor(), now=clock.now())))
