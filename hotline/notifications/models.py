"""Message templates and the outbox: one row per message, with its delivery status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db


class ChannelName(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    # Records the message and sends nothing: the default when no gateway is configured,
    # and the fallback for a recipient without an address for the template's channel.
    OUTBOX = "outbox"


# Channels a template may name (the outbox is not a way to write a message).
TEMPLATE_CHANNELS = (ChannelName.SMS.value, ChannelName.EMAIL.value)


class Status(StrEnum):
    PENDING = "pending"  # waiting for its delivery job (first attempt or a retry)
    SENDING = "sending"  # claimed by a delivery job
    SENT = "sent"  # accepted by the SMS gateway or the SMTP server
    FAILED = "failed"  # every attempt failed; an admin may retry it
    RECORDED = "recorded"  # outbox channel: recorded, nothing sent


STATUS_LABELS = {
    Status.PENDING: "待发送",
    Status.SENDING: "发送中",
    Status.SENT: "已发送",
    Status.FAILED: "发送失败",
    Status.RECORDED: "仅记录",
}


class RecipientType(StrEnum):
    UNIT = "unit"
    UNIT_HEAD = "unit_head"
    USER = "user"  # a supervisor
    CITIZEN = "citizen"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class NotificationTemplate(db.Model):
    """An admin's version of a built-in template (see templates.DEFAULTS for the codes)."""

    __tablename__ = "notification_templates"
    __table_args__ = (CheckConstraint(_in("channel", TEMPLATE_CHANNELS), name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by = relationship("User")


class Notification(db.Model):
    """One message to one recipient for one event. The idempotency key makes it unique."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("status", Status), name="status"),
        CheckConstraint(_in("channel", ChannelName), name="channel"),
        CheckConstraint(_in("recipient_type", RecipientType), name="recipient_type"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_notifications_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    template_code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    recipient_type: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[int | None] = mapped_column(Integer)
    # Who, in words (a unit's code, a username, "来电人"): the address itself is masked in the API.
    recipient_label: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(254))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket = relationship("Ticket")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.template_code} {self.status}>"
