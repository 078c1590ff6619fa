"""What the notifications API accepts and returns."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..core import clock, phones
from ..core.privacy import mask_address
from ..core.validation import Line, QuerySchema, Schema, Text
from . import templates
from .models import STATUS_LABELS, Status

StatusName = Literal[tuple(m.value for m in Status)]  # type: ignore[valid-type]
TemplateCode = Literal[tuple(templates.DEFAULTS)]  # type: ignore[valid-type]
TemplateChannel = Literal["sms", "email"]

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class OutboxQuery(QuerySchema):
    ticket: Line(32) | None = Field(default=None, description="ticket number")
    status: StatusName | None = None
    template: TemplateCode | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class NotificationOut(BaseModel):
    id: int
    ticket: str | None
    template: str
    template_label: str
    channel: str
    recipient_type: str
    recipient: str
    address: str | None = Field(description="masked for everyone")
    status: str
    status_label: str
    attempts: int
    last_error: str | None
    subject: str | None
    body: str
    created_at: str
    updated_at: str
    sent_at: str | None


class OutboxPageOut(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    pages: int


def notification_out(n) -> NotificationOut:
    spec = templates.DEFAULTS.get(n.template_code)
    return NotificationOut(
        id=n.id,
        ticket=n.ticket.number if n.ticket else None,
        template=n.template_code,
        template_label=spec.label if spec else n.template_code,
        channel=n.channel,
        recipient_type=n.recipient_type,
        recipient=n.recipient_label,
        address=mask_address(n.address),
        status=n.status,
        status_label=STATUS_LABELS[Status(n.status)],
        attempts=n.attempts,
        last_error=n.last_error,
        subject=n.subject,
        body=n.body,
        created_at=clock.isoformat(n.created_at),
        updated_at=clock.isoformat(n.updated_at),
        sent_at=clock.isoformat(n.sent_at),
    )


class TemplateOut(BaseModel):
    code: str
    label: str
    audience: str
    channel: str
    subject: str
    body: str
    placeholders: list[str]
    is_default: bool
    updated_at: str | None
    updated_by: str | None


class TemplateListOut(BaseModel):
    items: list[TemplateOut]


def template_out(t) -> TemplateOut:
    row = t.row
    return TemplateOut(
        code=t.spec.code,
        label=t.spec.label,
        audience=t.spec.audience,
        channel=t.channel,
        subject=t.subject,
        body=t.body,
        placeholders=sorted(t.spec.placeholders),
        is_default=t.is_default,
        updated_at=clock.isoformat(row.updated_at) if row else None,
        updated_by=row.updated_by.username if row and row.updated_by else None,
    )


class TemplateUpdateIn(Schema):
    channel: TemplateChannel | None = None
    subject: Line(templates.MAX_SUBJECT) | None = None
    body: Text(max(templates.MAX_BODY.values())) | None = None

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give channel, subject or body")
        return self


def _mobile(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        number = phones.normalise(value)
    except phones.InvalidPhone as exc:
        raise ValueError(str(exc)) from None
    if not re.fullmatch(r"1\d{10}", number):
        raise ValueError("must be a mobile number (text messages cannot reach a landline)")
    return number


class UnitContactsIn(Schema):
    notify_phone: Line(32) | None = None
    notify_email: Line(254) | None = None
    head_name: Line(50) | None = None
    head_phone: Line(32) | None = None

    @field_validator("notify_phone", "head_phone")
    @classmethod
    def _phones(cls, value):
        return _mobile(value)

    @field_validator("notify_email")
    @classmethod
    def _email(cls, value):
        if value is not None and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give notify_phone, notify_email, head_name or head_phone")
        return self


class UnitContactsOut(BaseModel):
    code: str
    name: str
    notify_phone: str | None
    notify_email: str | None
    head_name: str | None
    head_phone: str | None


def unit_contacts_out(unit) -> UnitContactsOut:
    return UnitContactsOut(
        code=unit.code,
        name=unit.name,
        notify_phone=unit.notify_phone,
        notify_email=unit.notify_email,
        head_name=unit.head_name,
        head_phone=unit.head_phone,
    )
