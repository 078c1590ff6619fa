"""What the API accepts and returns for tickets."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from ..accounts.models import Role
from ..accounts.permissions import can_see_full_phone
from ..core import clock, phones
from ..core.validation import Code, Line, QuerySchema, Schema, Text
from ..sla.schemas import DeadlineOut, deadline_out
from . import permissions, states
from .models import (
    CHANNEL_LABELS,
    INTAKE_CHANNELS,
    REQUEST_TYPE_LABELS,
    SATISFACTION_LABELS,
    URGENCY_LABELS,
    RequestType,
    Satisfaction,
    Ticket,
    Urgency,
)
from .states import ACTION_LABELS, STATUS_LABELS, Status

RequestTypeName = Literal[tuple(m.value for m in RequestType)]  # type: ignore[valid-type]
UrgencyName = Literal[tuple(m.value for m in Urgency)]  # type: ignore[valid-type]
ChannelName = Literal[tuple(m.value for m in INTAKE_CHANNELS)]  # type: ignore[valid-type]
StatusName = Literal[tuple(m.value for m in Status)]  # type: ignore[valid-type]
SatisfactionName = Literal[tuple(m.value for m in Satisfaction)]  # type: ignore[valid-type]

MAX_CONTENT = 5000
MAX_NOTE = 2000


def normalise_phone(value: str) -> str:
    from flask import current_app, has_app_context

    area = current_app.config.get("AREA_CODE") if has_app_context() else None
    try:
        return phones.normalise(value, area_code=area)
    except phones.InvalidPhone as exc:
        raise ValueError(str(exc)) from None


# --- requests -------------------------------------------------------------------------


class TicketCreateIn(Schema):
    caller_phone: Line(32)
    caller_name: Line(50) | None = None
    request_type: RequestTypeName
    category: Code
    area: Code | None = None
    address: Line(200) | None = None
    content: Text(MAX_CONTENT)
    urgency: UrgencyName = "normal"
    channel: ChannelName = "phone"

    @field_validator("caller_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class EmptyIn(Schema):
    note: Text(MAX_NOTE) | None = None


class AnswerIn(Schema):
    article_id: int | None = Field(default=None, ge=1)
    answer: Text(MAX_CONTENT) | None = None


class DispatchIn(Schema):
    lead_unit: Code | None = None
    assist_units: list[Code] = Field(default_factory=list, max_length=20)
    note: Text(MAX_NOTE) | None = None


class ReturnIn(Schema):
    reason: Text(1000)


class ReplyIn(Schema):
    content: Text(MAX_CONTENT)
    # Save although the reply check warns (答复规范性检查); a blocking check refuses anyway.
    confirm_warnings: bool = False


class ExtensionIn(Schema):
    hours: int = Field(ge=1, le=720)
    reason: Text(1000)


class DecideExtensionIn(Schema):
    approve: bool
    note: Text(1000) | None = None


class CallbackIn(Schema):
    satisfaction: SatisfactionName
    resolved: bool
    note: Text(MAX_NOTE) | None = None


class MergeIn(Schema):
    into: Line(32)


class NoteIn(Schema):
    note: Text(MAX_NOTE)


class CallerLookupIn(Schema):
    """A caller's number in a request body, never in a URL (proxies' access logs keep URLs)."""

    phone: Line(32) = Field(description="the caller's number, in any shape: spaces, dashes, +86, full-width digits")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_phone(value)


class TicketListQuery(QuerySchema):
    status: StatusName | None = None
    unit: Code | None = Field(default=None, description="unit code: tickets it leads or assists")
    type: RequestTypeName | None = None
    q: Line(200) | None = Field(default=None, description="text in the number, content or address")
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


# --- responses ------------------------------------------------------------------------


class EventOut(BaseModel):
    id: int
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    actor: str | None
    actor_name: str | None
    actor_role: str | None
    actor_unit: str | None
    actor_unit_name: str | None = None
    at: str
    note: str | None
    data: dict[str, Any]


class ReplyOut(BaseModel):
    unit: str
    unit_name: str
    author: str
    content: str
    at: str
    # The reply check's result when it was saved (supervisors and admins only): on_topic,
    # mode (warn|block), confirmed (saved despite warnings), issues [{code, label}].
    check: dict[str, Any] | None = None


def reply_check_out(result: dict | None) -> dict | None:
    if result is None:
        return None
    from ..routing.replycheck import RULES

    return {
        "on_topic": result.get("on_topic"),
        "mode": result.get("mode"),
        "confirmed": bool(result.get("confirmed")),
        "issues": [{"code": c, "label": RULES[c][0] if c in RULES else c} for c in result.get("issues", [])],
    }


class CallbackOut(BaseModel):
    satisfaction: str
    satisfaction_label: str
    resolved: bool
    note: str | None
    operator: str
    at: str


class ExtensionOut(BaseModel):
    id: int
    unit: str
    unit_name: str
    hours: int
    reason: str
    status: str
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    new_due_at: str | None


class TicketOut(BaseModel):
    number: str
    status: str
    status_label: str
    version: int
    channel: str
    request_type: str
    request_type_label: str
    category: str
    category_name: str
    area: str | None
    area_name: str | None
    address: str | None
    content: str
    urgency: str
    caller_phone: str
    caller_phone_masked: bool
    caller_name: str | None
    lead_unit: str | None
    lead_unit_name: str | None
    assist_units: list[str]
    assist_unit_names: list[str]
    reply_due_at: str | None
    is_overdue: bool
    reopen_count: int
    duplicate_of: str | None
    answer_article_id: int | None
    answer_text: str | None
    created_by: str
    created_by_name: str
    created_at: str
    updated_at: str
    submitted_at: str | None
    dispatched_at: str | None
    accepted_at: str | None
    returned_at: str | None
    replied_at: str | None
    reopened_at: str | None
    closed_at: str | None
    merged_at: str | None


class TicketDetailOut(TicketOut):
    allowed_actions: list[str]
    events: list[EventOut]
    replies: list[ReplyOut]
    callbacks: list[CallbackOut]
    extension_requests: list[ExtensionOut]
    duplicates: list[str]
    deadlines: list[DeadlineOut]


class TicketPageOut(BaseModel):
    items: list[TicketOut]
    page: int
    per_page: int
    total: int
    pages: int


class CallerOut(BaseModel):
    phone: str
    name: str | None


class CallerTicketsOut(BaseModel):
    caller: CallerOut | None
    items: list[TicketOut]
    total: int


class CallerLookupOut(BaseModel):
    at: str
    actor: str | None = Field(description="username of who looked the caller up")
    actor_name: str | None
    actor_role: str | None
    found: bool = Field(description="whether the number belonged to a known caller then")


class CallerLookupsOut(BaseModel):
    phone: str
    items: list[CallerLookupOut]
    total: int


def phone_for(viewer, phone: str) -> tuple[str, bool]:
    if can_see_full_phone(viewer):
        return phone, False
    return phones.mask(phone), True


def ticket_out(ticket: Ticket, viewer, now, *, iso=None) -> TicketOut:
    iso = iso or clock.isoformatter()
    phone, masked = phone_for(viewer, ticket.caller.phone)
    return TicketOut(
        number=ticket.number,
        status=ticket.status,
        status_label=STATUS_LABELS[Status(ticket.status)],
        version=ticket.version,
        channel=ticket.channel,
        request_type=ticket.request_type,
        request_type_label=REQUEST_TYPE_LABELS[RequestType(ticket.request_type)],
        category=ticket.category.code,
        category_name=ticket.category.full_name,
        area=ticket.area_unit.code if ticket.area_unit else None,
        area_name=ticket.area_unit.name if ticket.area_unit else None,
        address=ticket.address,
        content=ticket.content,
        urgency=ticket.urgency,
        caller_phone=phone,
        caller_phone_masked=masked,
        caller_name=ticket.caller_name,
        lead_unit=ticket.lead_unit.code if ticket.lead_unit else None,
        lead_unit_name=ticket.lead_unit.name if ticket.lead_unit else None,
        assist_units=[u.code for u in ticket.assist_units],
        assist_unit_names=[u.name for u in ticket.assist_units],
        reply_due_at=iso(ticket.reply_due_at),
        is_overdue=bool(
            ticket.reply_due_at is not None
            and ticket.status in (Status.DISPATCHED, Status.ACCEPTED)
            and now > ticket.reply_due_at
        ),
        reopen_count=ticket.reopen_count,
        duplicate_of=ticket.duplicate_of.number if ticket.duplicate_of else None,
        answer_article_id=ticket.answer_article_id,
        answer_text=ticket.answer_text,
        created_by=ticket.created_by.username,
        created_by_name=ticket.created_by.display_name,
        created_at=iso(ticket.created_at),
        updated_at=iso(ticket.updated_at),
        submitted_at=iso(ticket.submitted_at),
        dispatched_at=iso(ticket.dispatched_at),
        accepted_at=iso(ticket.accepted_at),
        returned_at=iso(ticket.returned_at),
        replied_at=iso(ticket.replied_at),
        reopened_at=iso(ticket.reopened_at),
        closed_at=iso(ticket.closed_at),
        merged_at=iso(ticket.merged_at),
    )


def event_out(event, iso=clock.isoformat) -> EventOut:
    try:
        label = ACTION_LABELS[states.Action(event.action)]
    except ValueError:
        label = EVENT_LABELS.get(event.action, event.action)
    return EventOut(
        id=event.id,
        action=event.action,
        action_label=label,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor.username if event.actor else None,
        actor_name=event.actor.display_name if event.actor else "系统",
        actor_role=event.actor_role,
        actor_unit=event.actor_unit.code if event.actor_unit else None,
        actor_unit_name=event.actor_unit.name if event.actor_unit else None,
        at=iso(event.at),
        note=event.note,
        data=event.data or {},
    )


# Labels of events that are not transitions (recorded by the system or at intake).
EVENT_LABELS: dict[str, str] = {
    "create": "登记",
    # The deadline watch (hotline.sla.sweep).
    "deadline_warning": "超时预警",
    "deadline_overdue": "已超时",
    "yellow_card": "黄牌",
    "red_card": "红牌",
}


def ticket_detail_out(
    ticket: Ticket, viewer, now, *, events, replies, callbacks, extensions, duplicates, deadlines=()
) -> TicketDetailOut:
    iso = clock.isoformatter()
    base = ticket_out(ticket, viewer, now, iso=iso).model_dump()
    return TicketDetailOut(
        **base,
        allowed_actions=[
            a.value for a in permissions.actions_for(viewer, ticket, states.allowed_actions(ticket.status))
        ],
        events=[event_out(e, iso) for e in events],
        replies=[
            ReplyOut(
                unit=r.unit.code,
                unit_name=r.unit.name,
                author=r.author.display_name,
                content=r.content,
                at=iso(r.created_at),
                check=reply_check_out(r.check_result) if viewer.role in (Role.SUPERVISOR, Role.ADMIN) else None,
            )
            for r in replies
        ],
        callbacks=[
            CallbackOut(
                satisfaction=c.satisfaction,
                satisfaction_label=SATISFACTION_LABELS[Satisfaction(c.satisfaction)],
                resolved=c.is_resolved,
                note=c.note,
                operator=c.operator.display_name,
                at=iso(c.created_at),
            )
            for c in callbacks
        ],
        extension_requests=[
            ExtensionOut(
                id=x.id,
                unit=x.unit.code,
                unit_name=x.unit.name,
                hours=x.hours,
                reason=x.reason,
                status=x.status,
                requested_by=x.requested_by.display_name,
                requested_at=iso(x.created_at),
                decided_by=x.decided_by.display_name if x.decided_by else None,
                decided_at=iso(x.decided_at),
                decision_note=x.decision_note,
                new_due_at=iso(x.new_due_at),
            )
            for x in extensions
        ],
        duplicates=list(duplicates),
        deadlines=[deadline_out(d, iso) for d in deadlines],
    )


LABELS = {
    "request_type": {k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
    "urgency": {k.value: v for k, v in URGENCY_LABELS.items()},
    "channel": {k.value: v for k, v in CHANNEL_LABELS.items()},
    "satisfaction": {k.value: v for k, v in SATISFACTION_LABELS.items()},
}
