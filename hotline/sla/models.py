"""Deadline policies, calendar days, deadlines and the watch's records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")

ANY = "*"


class DeadlineKind(StrEnum):
    ACCEPT = "accept"  # 签收时限
    REPLY = "reply"  # 答复时限
    RECTIFICATION = "rectification"  # 整改时限 (a supervisor's rectification notice)


DEADLINE_KIND_LABELS = {
    DeadlineKind.ACCEPT: "签收时限",
    DeadlineKind.REPLY: "答复时限",
    DeadlineKind.RECTIFICATION: "整改时限",
}


class PointKind(StrEnum):
    WARNING = "warning"  # 超时预警
    OVERDUE = "overdue"  # 已超时 + 黄牌
    RED = "red"  # 红牌


class StopReason(StrEnum):
    MET = "met"  # accepted / replied / rectified
    RETURNED = "returned"  # the unit returned the ticket: its clock stops
    MERGED = "merged"
    CLOSED = "closed"
    REDISPATCHED = "redispatched"
    CANCELLED = "cancelled"  # a rectification notice withdrawn


STOP_REASON_LABELS = {
    StopReason.MET: "已按时办理",
    StopReason.RETURNED: "已退单",
    StopReason.MERGED: "已合并",
    StopReason.CLOSED: "已办结",
    StopReason.REDISPATCHED: "已重新派单",
    StopReason.CANCELLED: "已撤销",
}


def _in(column: str, enum) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class SlaPolicy(db.Model):
    """The allowance for tickets of one request type and urgency ("*" = any).

    Editing a policy bumps its version; deadlines keep the snapshot they were opened
    with, so a change applies to tickets dispatched after it, never to running ones.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("request_type", "urgency", name="uq_sla_policies_request_type_urgency"),
        CheckConstraint("reply_hours > 0", name="reply_hours"),
        CheckConstraint("accept_hours IS NULL OR accept_hours > 0", name="accept_hours"),
        CheckConstraint("warn_ratio IS NULL OR (warn_ratio > 0 AND warn_ratio < 1)", name="warn_ratio"),
        CheckConstraint("red_ratio IS NULL OR red_ratio > 1", name="red_ratio"),
        CheckConstraint("clock_mode IN ('natural', 'working')", name="clock_mode"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    request_type: Mapped[str] = mapped_column(String(16), default=ANY)
    urgency: Mapped[str] = mapped_column(String(16), default=ANY)
    accept_hours: Mapped[float | None] = mapped_column(Float)
    reply_hours: Mapped[float] = mapped_column(Float)
    warn_ratio: Mapped[float | None] = mapped_column(Float)
    red_ratio: Mapped[float | None] = mapped_column(Float)
    clock_mode: Mapped[str] = mapped_column(String(16), default="natural")
    working_hours: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarDay(db.Model):
    """An admin-entered date: a holiday (off) or a working day (on), overriding the
    chinese_calendar package; the way to enter years the package does not know yet."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarWarning(db.Model):
    """A year some deadline needed but no calendar knows: counted on weekends only."""

    __tablename__ = "calendar_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    message: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Deadline(db.Model):
    """One clock of one ticket: the accept or reply deadline of one dispatch round, or a
    rectification deadline. ``next_check_at`` is the earliest point the watch still has
    to record (null when there is none): the sweep is a range scan on it."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "sequence", name="uq_deadlines_ticket_kind_sequence"),
        CheckConstraint(_in("kind", DeadlineKind), name="kind"),
        CheckConstraint(f"stop_reason IS NULL OR {_in('stop_reason', StopReason)}", name="stop_reason"),
        CheckConstraint("(stopped_at IS NULL) = (stop_reason IS NULL)", name="stopped_has_reason"),
        CheckConstraint("sequence >= 1", name="sequence"),
        CheckConstraint("extension_hours >= 0", name="extension_hours"),
        Index("ix_deadlines_next_check_at", "next_check_at"),
        Index("ix_deadlines_source", "source_type", "source_id"),
        # The dashboard's "due soon" and "overdue now" (hotline.reports.dashboard): open
        # deadlines only, a small part of the history.
        Index(
            "ix_deadlines_open_due_at",
            "due_at",
            postgresql_where=db.text("stopped_at IS NULL"),
            sqlite_where=db.text("stopped_at IS NULL"),
        ),
        Index(
            "ix_deadlines_open_unit_due_at",
            "unit_id",
            "due_at",
            postgresql_where=db.text("stopped_at IS NULL"),
            sqlite_where=db.text("stopped_at IS NULL"),
        ),
        # A unit's dispatches of a day (the dashboard's volume for a unit).
        Index("ix_deadlines_unit_started_at", "unit_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The allowance in hours on the deadline's clock (policy hours), before extensions.
    base_hours: Mapped[float | None] = mapped_column(Float)
    extension_hours: Mapped[float] = mapped_column(Float, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    red_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The policy as it was when the clock started, and the calendar it counts on.
    policy: Mapped[dict] = mapped_column(JSONType, default=dict)
    calendar: Mapped[dict] = mapped_column(JSONType, default=dict)
    extensions: Mapped[list] = mapped_column(JSONType, default=list)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_reason: Mapped[str | None] = mapped_column(String(16))
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What opened a rectification deadline (e.g. "rectification_notice", 17).
    source_type: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit = relationship("Unit", lazy="joined")
    records = relationship("DeadlineRecord", lazy="selectin", order_by="DeadlineRecord.id", viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    def point(self, kind: PointKind | str) -> datetime | None:
        return {PointKind.WARNING: self.warn_at, PointKind.OVERDUE: self.due_at, PointKind.RED: self.red_at}[
            PointKind(kind)
        ]


class DeadlineRecord(db.Model):
    """The watch recorded that a point of a deadline passed. One row per (deadline, kind):
    the unique constraint is what makes every warning and card happen exactly once."""

    __tablename__ = "deadline_records"
    __table_args__ = (
        UniqueConstraint("deadline_id", "kind", name="uq_deadline_records_deadline_kind"),
        CheckConstraint(_in("kind", PointKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    point_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
