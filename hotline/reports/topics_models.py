"""Tables of hot topics and spikes: each ticket's terms (written once), and the spikes found.

``ticket_terms`` holds up to a dozen terms per ticket (``topics_lexicon.analyse``) with the
ticket's creation time, category, area and caller copied beside them (none of them changes
after intake), so that a period's keyword counts and a window's spike candidates are one
range scan and GROUP BY on this table, without a join. ``ticket_term_sets`` says that a
ticket was analysed, and with which analyser version (a ticket without terms, e.g. a text of
stop words only, has a set and no terms).

``spikes`` records each burst of one issue in one area or category once: the periodic job
updates the open row while the burst goes on and closes it when it is over.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class TicketTermSet(db.Model):
    __tablename__ = "ticket_term_sets"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    term_count: Mapped[int] = mapped_column(Integer)
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketTerm(db.Model):
    __tablename__ = "ticket_terms"
    __table_args__ = (
        Index("ix_ticket_terms_created_at_term", "created_at", "term"),  # covers a period's term counts
        Index("ix_ticket_terms_term_created_at", "term", "created_at"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    # Copied from the ticket (fixed at intake): filters and GROUP BY without a join.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    category_id: Mapped[int] = mapped_column(Integer)
    area_unit_id: Mapped[int | None] = mapped_column(Integer)
    caller_id: Mapped[int] = mapped_column(Integer)


class Spike(db.Model):
    """A burst of one issue in one area (``scope`` = "area") or category ("category")."""

    __tablename__ = "spikes"
    __table_args__ = (
        CheckConstraint("scope IN ('area', 'category')", name="scope"),
        CheckConstraint("callers > 0", name="callers_positive"),
        # One open spike per scope and anchor term: concurrent detections cannot open two.
        Index(
            "uq_spikes_open_anchor",
            "scope_key",
            "anchor",
            unique=True,
            sqlite_where=db.text("closed_at IS NULL"),
            postgresql_where=db.text("closed_at IS NULL"),
        ),
        Index("ix_spikes_closed_at_last_at", "closed_at", "last_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    scope_key: Mapped[str] = mapped_column(String(40))  # "area:<unit id>" or "category:<id>"
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    anchor: Mapped[str] = mapped_column(String(32))  # the term that opened it
    label: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    callers: Mapped[int] = mapped_column(Integer)  # distinct callers in the window
    ticket_count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)  # callers expected in a window (topics_spikes)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SpikeTicket(db.Model):
    __tablename__ = "spike_tickets"

    spike_id: Mapped[int] = mapped_column(ForeignKey("spikes.id", ondelete="CASCADE"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, index=True)


class HotTopicSnapshot(db.Model):
    """A closed period's hot topics as computed from its terms (``topics_snapshots``).

    ``watermark`` counts the term rows of the period and of the one compared with when it
    was computed: a ticket analysed later (a backfill) changes it, and the snapshot is
    then not used. ``key`` names the period, the previous period, the filters, the ticket
    list's length and the analyser's version.
    """

    __tablename__ = "hot_topic_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    topic_limit: Mapped[int] = mapped_column(Integer)
    watermark: Mapped[str] = mapped_column(String(64))
    payload: Mapped[list] = mapped_column(JSONType, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
