"""Electronic supervision (电子监察): cases, orders, rectification notices, cards, and the
deliveries of cases and cards to the external e-supervision system."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db


class CaseStatus(StrEnum):
    OPEN = "open"
    RECTIFICATION_ORDERED = "rectification_ordered"
    CLOSED = "closed"


CASE_STATUS_LABELS = {
    CaseStatus.OPEN: "办理中",
    CaseStatus.RECTIFICATION_ORDERED: "已发整改通知",
    CaseStatus.CLOSED: "已结案",
}


class CaseOrigin(StrEnum):
    COMPLAINT = "complaint"  # every complaint (投诉), at intake
    CARD = "card"  # a yellow or red card on a ticket with no open case
    SUPERVISOR = "supervisor"  # opened by a supervisor on any ticket
    MERGE = "merge"  # carried over from a duplicate's case when the duplicate was merged into this ticket


class OrderKind(StrEnum):
    URGE = "urge"  # 催办
    SUPERVISE = "supervise"  # 督办


class CardColor(StrEnum):
    YELLOW = "yellow"
    RED = "red"


CARD_LABELS = {CardColor.YELLOW: "黄牌", CardColor.RED: "红牌"}


class NoticeStatus(StrEnum):
    ISSUED = "issued"
    RESPONDED = "responded"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"  # every retry failed: the dead-letter list, replayable by admins
    NOT_CONFIGURED = "not_configured"  # no HOTLINE_ESUP_URL: recorded only


def _in(column: str, enum) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class SupervisionCase(db.Model):
    """One e-supervision case on one ticket. At most one case per ticket is not closed."""

    __tablename__ = "supervision_cases"
    __table_args__ = (
        CheckConstraint(_in("status", CaseStatus), name="status"),
        CheckConstraint(_in("origin", CaseOrigin), name="origin"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at"),
        Index(
            "uq_supervision_cases_one_open",
            "ticket_id",
            unique=True,
            sqlite_where=db.text("status <> 'closed'"),
            postgresql_where=db.text("status <> 'closed'"),
        ),
        Index("ix_supervision_cases_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The unit under supervision: the ticket's lead unit, or the carded unit (may be unknown
    # at intake, until the ticket is dispatched).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(32), default=CaseStatus.OPEN.value)
    origin: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closing_note: Mapped[str | None] = mapped_column(Text)
    # A duplicate's case, closed when the duplicate was merged: the surviving ticket's case.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_cases.id"))

    ticket = relationship("Ticket")
    unit = relationship("Unit")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])


class CaseOrder(db.Model):
    """A supervisor's urge (催办) or supervise (督办) order on a case."""

    __tablename__ = "supervision_orders"
    __table_args__ = (CheckConstraint(_in("kind", OrderKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str] = mapped_column(Text)
    # The ticket's urge/supervise event, when the order was also a ticket action.
    ticket_event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
    issued_by = relationship("User")


class RectificationNotice(db.Model):
    """整改通知书: an order to a unit to rectify, with a due date, and the unit's response."""

    __tablename__ = "rectification_notices"
    __table_args__ = (
        CheckConstraint(_in("status", NoticeStatus), name="status"),
        CheckConstraint("(status = 'responded') = (responded_at IS NOT NULL)", name="responded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=NoticeStatus.ISSUED.value)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    responded_by = relationship("User", foreign_keys=[responded_by_id])

    def is_overdue(self, now: datetime) -> bool:
        """Computed when read: not responded and past its due date."""
        return self.status == NoticeStatus.ISSUED and now > self.due_at


class Card(db.Model):
    """A yellow or red card against a unit, for one missed deadline. Once per (deadline, color).

    A voided card (``voided_at``) is kept for the record and left out of every count: a card
    on a duplicate merged into a ticket the same unit answers for (the unit is held to
    account once, on the surviving ticket)."""

    __tablename__ = "cards"
    __table_args__ = (
        CheckConstraint(_in("color", CardColor), name="color"),
        CheckConstraint("deadline_kind IN ('accept', 'reply', 'rectification')", name="deadline_kind"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", name="voided"),
        UniqueConstraint("deadline_id", "color", name="uq_cards_deadline_color"),
        Index("ix_cards_unit_recorded", "unit_id", "recorded_at"),
        Index("ix_cards_recorded_at", "recorded_at"),  # the month's cards, city-wide (the dashboard)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The missed deadline (hotline.sla).
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"))
    deadline_kind: Mapped[str] = mapped_column(String(16))
    color: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)

    unit = relationship("Unit")
    ticket = relationship("Ticket")

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class EsupDelivery(db.Model):
    """One signed message to the external e-supervision system (a case or a card, or a
    change to a case). The body is the exact bytes sent, frozen when the event happened."""

    __tablename__ = "esup_deliveries"
    __table_args__ = (
        CheckConstraint(_in("status", DeliveryStatus), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_esup_deliveries_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_cases.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
