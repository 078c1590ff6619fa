from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..core.types import UTCDateTime
from ..core.vocabulary import (  # noqa: F401 - re-exported: the ticket's request type and urgency
    REQUEST_TYPE_LABELS,
    URGENCY_LABELS,
    RequestType,
    Urgency,
)
from ..extensions import db
from .states import Status

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Channel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    WECHAT = "wechat"
    APP = "app"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    WALK_IN = "walk_in"
    OPEN311 = "open311"
    # A past ticket brought in from the centre's old system (``tickets import-history``).
    IMPORT = "import"


CHANNEL_LABELS = {
    Channel.PHONE: "电话",
    Channel.WEB: "网站",
    Channel.WECHAT: "微信",
    Channel.APP: "移动应用",
    Channel.SMS: "短信",
    Channel.EMAIL: "电子邮件",
    Channel.LETTER: "来信",
    Channel.WALK_IN: "来访",
    Channel.OPEN311: "Open311接口",
    Channel.IMPORT: "历史导入",
}

# The channels a new ticket may be recorded with (imported ones come only from the command).
INTAKE_CHANNELS: tuple[Channel, ...] = tuple(c for c in Channel if c is not Channel.IMPORT)


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
}


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


def _in(column: str, enum) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


# A unit holds the ticket (its reply deadline is running).
_HELD = db.text("status IN ('dispatched', 'accepted')")

ticket_assist_units = Table(
    "ticket_assist_units",
    db.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("status", Status), name="status"),
        CheckConstraint(_in("request_type", RequestType), name="request_type"),
        CheckConstraint(_in("urgency", Urgency), name="urgency"),
        CheckConstraint(_in("channel", Channel), name="channel"),
        CheckConstraint("reopen_count >= 0", name="reopen_count"),
        CheckConstraint("version >= 1", name="version"),
        # A merged ticket always points at the ticket it was merged into, and only it does.
        CheckConstraint("(status = 'merged') = (duplicate_of_id IS NOT NULL)", name="merged_has_target"),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"),
        # While a unit holds the ticket it has a lead unit and a reply deadline.
        CheckConstraint(
            "status NOT IN ('dispatched', 'accepted', 'replied') "
            "OR (lead_unit_id IS NOT NULL AND reply_due_at IS NOT NULL)",
            name="with_unit_has_lead",
        ),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_lead_unit_status", "lead_unit_id", "status"),
        Index("ix_tickets_created_at", "created_at"),  # volume by day (the dashboard) and by period
        # The tickets a unit holds, by reply deadline (queues sorted by time left, overdue lists):
        # a few thousand rows among a million (migration 0016).
        Index("ix_tickets_held_reply_due", "reply_due_at", postgresql_where=_HELD, sqlite_where=_HELD),
        Index(
            "ix_tickets_held_lead_unit_reply_due",
            "lead_unit_id",
            "reply_due_at",
            postgresql_where=_HELD,
            sqlite_where=_HELD,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32), default=Status.NEW.value)
    channel: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16), default=Urgency.NORMAL.value)
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id"), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(50))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # Answered on the call: the knowledge-base article (by id) and/or the answer given.
    answer_article_id: Mapped[int | None] = mapped_column(Integer)
    answer_text: Mapped[str | None] = mapped_column(Text)
    # The ticket's id in the centre's old system (imported history): importing again updates it.
    import_id: Mapped[str | None] = mapped_column(String(64), unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    category = relationship("Category", lazy="selectin")
    area_unit = relationship("Unit", foreign_keys=[area_unit_id], lazy="joined")
    lead_unit = relationship("Unit", foreign_keys=[lead_unit_id], lazy="joined")
    assist_units = relationship("Unit", secondary=ticket_assist_units, lazy="selectin", order_by="Unit.code")
    caller = relationship("Caller", lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    duplicate_of = relationship("Ticket", remote_side=[id], foreign_keys=[duplicate_of_id], lazy="selectin")
    # Which of the collections a ticket's answer lists have rows, one bit each: asked in the
    # one-ticket statement (tickets.queries.get_visible), None when a query did not ask.
    collections_present: Mapped[int | None] = query_expression()

    # Optimistic locking: every UPDATE says "WHERE version = <what I read>"; a
    # concurrent change makes it match nothing and the loser gets a clean 409.
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.status}>"


class TicketEvent(db.Model):
    """One immutable step in a ticket's life: who, when, from, to, note."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    # Null for the system (the deadline watch, jobs).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)

    actor = relationship("User", lazy="joined")
    actor_unit = relationship("Unit", lazy="joined")


@event.listens_for(TicketEvent, "before_update")
def _refuse_event_update(mapper, connection, target):
    raise RuntimeError("ticket events are immutable")


@event.listens_for(TicketEvent, "before_delete")
def _refuse_event_delete(mapper, connection, target):
    raise RuntimeError("ticket events are immutable")


class Reply(db.Model):
    """A unit's answer (答复). Every reply is kept, also after a reopen."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The reply check's result when it was saved (hotline.routing.replycheck): {"on_topic",
    # "issues": [codes], "mode": "warn"|"block", "confirmed": bool}; None: not checked.
    check_result: Mapped[dict | None] = mapped_column(JSONType)

    unit = relationship("Unit", lazy="joined")
    author = relationship("User", lazy="joined")


class Callback(db.Model):
    """The result of calling the citizen back (回访)."""

    __tablename__ = "callbacks"
    __table_args__ = (CheckConstraint(_in("satisfaction", Satisfaction), name="satisfaction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The unit whose reply was evaluated.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    satisfaction: Mapped[str] = mapped_column(String(32))
    is_resolved: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    operator = relationship("User", lazy="joined")


class ExtensionRequest(db.Model):
    """A unit's request for more time (延期申请) and the supervisor's decision."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        CheckConstraint(_in("status", ExtensionStatus), name="status"),
        CheckConstraint("hours > 0", name="hours_positive"),
        # At most one pending request per ticket.
        Index(
            "uq_extension_requests_one_pending",
            "ticket_id",
            unique=True,
            sqlite_where=db.text("status = 'pending'"),
            postgresql_where=db.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    hours: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    previous_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit", lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")


class TicketNumberCounter(db.Model):
    """The last number given out on each local day; one row per day."""

    __tablename__ = "ticket_number_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(db.Model):
    """An ``Idempotency-Key`` seen on ticket creation: a retry returns the same ticket."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
