"""What the supervision API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ..core import clock
from ..core.validation import Code, Line, QuerySchema, Schema, Text
from .models import CARD_LABELS, CASE_STATUS_LABELS, CardColor, CaseStatus, DeliveryStatus

CaseStatusName = Literal[tuple(m.value for m in CaseStatus)]  # type: ignore[valid-type]
ColorName = Literal[tuple(m.value for m in CardColor)]  # type: ignore[valid-type]
DeliveryStatusName = Literal[tuple(m.value for m in DeliveryStatus)]  # type: ignore[valid-type]
ORDER_LABELS = {"urge": "催办", "supervise": "督办"}
MAX_NOTE = 2000
MAX_TEXT = 5000

# --- requests -------------------------------------------------------------------------


class CaseListQuery(QuerySchema):
    ticket: Line(32) | None = Field(default=None, description="ticket number")
    unit: Code | None = Field(default=None, description="unit code (unit staff: their own only)")
    status: CaseStatusName | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=20, ge=1, le=100)


class CaseOpenIn(Schema):
    ticket: Line(32)
    reason: Text(MAX_NOTE)


class OrderIn(Schema):
    kind: Literal["urge", "supervise"]
    note: Text(MAX_NOTE)


class NoticeIn(Schema):
    content: Text(MAX_TEXT)
    due_at: Line(40) = Field(description="ISO 8601; without an offset it is the centre's local time")
    unit: Code | None = Field(default=None, description="defaults to the case's unit")

    @field_validator("due_at")
    @classmethod
    def _iso(cls, value: str) -> str:
        try:
            clock.parse_iso(value)
        except ValueError:
            raise ValueError("not an ISO 8601 date and time, e.g. 2026-11-25T18:00:00+08:00") from None
        return value

    @property
    def due(self) -> datetime:
        return clock.parse_iso(self.due_at)


class ResponseIn(Schema):
    response: Text(MAX_TEXT)


class CloseIn(Schema):
    note: Text(MAX_NOTE)


class CardListQuery(QuerySchema):
    unit: Code | None = Field(default=None, description="unit code (unit staff: their own only)")
    color: ColorName | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class DeliveryListQuery(QuerySchema):
    status: DeliveryStatusName | None = Field(default=None, description="dead: the dead-letter list")
    case: int | None = Field(default=None, ge=1, description="case id")
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


# --- responses ------------------------------------------------------------------------


class CardOut(BaseModel):
    id: int
    color: str
    color_label: str
    unit: str
    unit_name: str
    ticket: str
    case_id: int
    deadline_id: int
    deadline_kind: str
    due_at: str | None
    recorded_at: str
    voided_at: str | None = None
    void_reason: str | None = None


class OrderOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    unit: str | None
    note: str
    issued_by: str | None
    issued_at: str


class NoticeOut(BaseModel):
    id: int
    unit: str
    unit_name: str
    content: str
    due_at: str
    status: str
    is_overdue: bool
    issued_by: str | None
    issued_at: str
    response: str | None
    responded_by: str | None
    responded_at: str | None


class CaseOut(BaseModel):
    id: int
    ticket: str
    ticket_status: str
    request_type: str
    unit: str | None
    unit_name: str | None
    status: str
    status_label: str
    origin: str
    reason: str | None
    opened_by: str | None
    opened_at: str
    updated_at: str
    closed_by: str | None
    closed_at: str | None
    closing_note: str | None


class CaseDetailOut(CaseOut):
    cards: list[CardOut]
    orders: list[OrderOut]
    notices: list[NoticeOut]


class CasePageOut(BaseModel):
    items: list[CaseOut]
    page: int
    per_page: int
    total: int
    pages: int


class CardPageOut(BaseModel):
    items: list[CardOut]
    page: int
    per_page: int
    total: int
    pages: int


class DeliveryOut(BaseModel):
    id: int
    event: str
    case_id: int | None
    card_id: int | None
    idempotency_key: str
    status: str
    attempts: int
    replays: int
    last_error: str | None
    created_at: str
    updated_at: str
    delivered_at: str | None


class DeliveryPageOut(BaseModel):
    items: list[DeliveryOut]
    page: int
    per_page: int
    total: int
    pages: int


def _name(user):
    return user.username if user is not None else None


def card_out(card) -> CardOut:
    return CardOut(
        id=card.id,
        color=card.color,
        color_label=CARD_LABELS[CardColor(card.color)],
        unit=card.unit.code,
        unit_name=card.unit.name,
        ticket=card.ticket.number,
        case_id=card.case_id,
        deadline_id=card.deadline_id,
        deadline_kind=card.deadline_kind,
        due_at=clock.isoformat(card.due_at),
        recorded_at=clock.isoformat(card.recorded_at),
        voided_at=clock.isoformat(card.voided_at) if card.voided_at else None,
        void_reason=card.void_reason,
    )


def order_out(order) -> OrderOut:
    return OrderOut(
        id=order.id,
        kind=order.kind,
        kind_label=ORDER_LABELS[order.kind],
        unit=order.unit.code if order.unit else None,
        note=order.note,
        issued_by=_name(order.issued_by),
        issued_at=clock.isoformat(order.issued_at),
    )


def notice_out(notice, now) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        unit=notice.unit.code,
        unit_name=notice.unit.name,
        content=notice.content,
        due_at=clock.isoformat(notice.due_at),
        status=notice.status,
        is_overdue=notice.is_overdue(now),
        issued_by=_name(notice.issued_by),
        issued_at=clock.isoformat(notice.issued_at),
        response=notice.response,
        responded_by=_name(notice.responded_by),
        responded_at=clock.isoformat(notice.responded_at),
    )


def case_out(case) -> CaseOut:
    return CaseOut(
        id=case.id,
        ticket=case.ticket.number,
        ticket_status=case.ticket.status,
        request_type=case.ticket.request_type,
        unit=case.unit.code if case.unit else None,
        unit_name=case.unit.name if case.unit else None,
        status=case.status,
        status_label=CASE_STATUS_LABELS[CaseStatus(case.status)],
        origin=case.origin,
        reason=case.reason,
        opened_by=_name(case.opened_by),
        opened_at=clock.isoformat(case.opened_at),
        updated_at=clock.isoformat(case.updated_at),
        closed_by=_name(case.closed_by),
        closed_at=clock.isoformat(case.closed_at),
        closing_note=case.closing_note,
    )


def case_detail_out(case, *, cards, orders, notices, now) -> CaseDetailOut:
    return CaseDetailOut(
        **case_out(case).model_dump(),
        cards=[card_out(c) for c in cards],
        orders=[order_out(o) for o in orders],
        notices=[notice_out(n, now) for n in notices],
    )


def delivery_out(d) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event=d.event,
        case_id=d.case_id,
        card_id=d.card_id,
        idempotency_key=d.idempotency_key,
        status=d.status,
        attempts=d.attempts,
        replays=d.replays,
        last_error=d.last_error,
        created_at=clock.isoformat(d.created_at),
        updated_at=clock.isoformat(d.updated_at),
        delivered_at=clock.isoformat(d.delivered_at),
    )
