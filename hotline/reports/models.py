"""Assessment (考核) records: exemption reasons, exemptions, and the score schemes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db


class ExemptionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


EXEMPTION_STATUS_LABELS = {
    ExemptionStatus.PENDING: "待审核",
    ExemptionStatus.APPROVED: "已批准",
    ExemptionStatus.REFUSED: "未批准",
}


class ExemptionReason(db.Model):
    """A reason a unit may give for leaving a ticket out of its figures (kept by admins)."""

    __tablename__ = "exemption_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Exemption(db.Model):
    """考核免责: a unit asks that one ticket be left out of its assessed figures.

    At most one request per (ticket, unit) is pending or approved at a time; a refused one
    may be followed by a new request.
    """

    __tablename__ = "exemptions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'refused')", name="status"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_at"),
        Index(
            "uq_exemptions_ticket_unit_live",
            "ticket_id",
            "unit_id",
            unique=True,
            sqlite_where=db.text("status IN ('pending', 'approved')"),
            postgresql_where=db.text("status IN ('pending', 'approved')"),
        ),
        Index("ix_exemptions_unit_status", "unit_id", "status"),
        Index("ix_exemptions_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reason_id: Mapped[int] = mapped_column(ForeignKey("exemption_reasons.id"))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ExemptionStatus.PENDING.value)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    ticket = relationship("Ticket", lazy="joined")
    unit = relationship("Unit", lazy="joined")
    reason = relationship("ExemptionReason", lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")


class ScoreScheme(db.Model):
    """One version of the weighted score (综合得分). Rows are never changed: an edit adds
    the next version, and a period is scored with the version in force at its end."""

    __tablename__ = "score_schemes"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint(
            "weight_on_time >= 0 AND weight_satisfaction >= 0 AND weight_resolution >= 0 AND weight_accepted >= 0",
            name="weights_not_negative",
        ),
        CheckConstraint("yellow_card_penalty >= 0 AND red_card_penalty >= 0", name="penalties_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    weight_on_time: Mapped[float] = mapped_column(Float)
    weight_satisfaction: Mapped[float] = mapped_column(Float)
    weight_resolution: Mapped[float] = mapped_column(Float)
    weight_accepted: Mapped[float] = mapped_column(Float)
    yellow_card_penalty: Mapped[float] = mapped_column(Float)
    red_card_penalty: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    created_by = relationship("User", lazy="joined")


# Indexes the figures read other domains' tables by: each source query of figures.py is a
# range scan on one of these for the period, not a scan of every row.
def _report_indexes() -> None:
    from ..sla.models import Deadline
    from ..tickets.models import Callback, ExtensionRequest, Ticket

    Index("ix_deadlines_kind_started_at", Deadline.kind, Deadline.started_at)
    Index("ix_deadlines_kind_due_at", Deadline.kind, Deadline.due_at)
    Index("ix_deadlines_kind_stopped_at", Deadline.kind, Deadline.stopped_at)
    Index("ix_tickets_created_at", Ticket.created_at)
    Index("ix_callbacks_created_at", Callback.created_at)
    Index("ix_extension_requests_created_at", ExtensionRequest.created_at)
    # 0011: deadlines stopped for a reason in a period (returns, bounces; met on time), and
    # the merged tickets every figure leaves out (NOT EXISTS: an index-only scan of them).
    Index("ix_deadlines_kind_reason_stopped_at", Deadline.kind, Deadline.stop_reason, Deadline.stopped_at)
    merged = text("status = 'merged'")
    Index("ix_tickets_merged_id", Ticket.id, postgresql_where=merged, sqlite_where=merged)


_report_indexes()
