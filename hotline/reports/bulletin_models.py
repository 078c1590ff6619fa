"""Published monthly bulletins (运行情况通报) and their dated corrections (更正).

A published bulletin is frozen: its document (hotline.reports.monthly) is stored as
published and never updated (the database refuses it: see the migration's trigger on
PostgreSQL; the services never write it). What changes later is recorded as corrections,
each with its date and the figures it changes, and shown beside the bulletin.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db
from ..tickets.models import JSONType


class Bulletin(db.Model):
    """One month's published bulletin. One per month."""

    __tablename__ = "bulletins"
    __table_args__ = (CheckConstraint("length(month) = 7", name="month_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The document as published (figures computed as of `computed_at`): never changes.
    document: Mapped[dict] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    published_by = relationship("User")
    corrections = relationship(
        "BulletinCorrection", back_populates="bulletin", order_by="BulletinCorrection.sequence", lazy="selectin"
    )


class BulletinCorrection(db.Model):
    """更正: the figures of a published bulletin that a later computation found different.

    ``changes`` is a list of {"scope", "code", "name", "key", "label", "kind", "was", "now"}:
    ``was`` is the value the bulletin showed until this correction (as published, or as
    corrected by an earlier correction), ``now`` the value computed at ``recorded_at``.
    """

    __tablename__ = "bulletin_corrections"
    __table_args__ = (
        # Two checks at once both find the same differences: one row only (the other is refused).
        UniqueConstraint("bulletin_id", "sequence", name="uq_bulletin_corrections_sequence"),
        CheckConstraint("sequence >= 1", name="sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"))
    # 1, 2, 3 ... within the bulletin: the n-th correction.
    sequence: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Null when the periodic job recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list] = mapped_column(JSONType)

    bulletin = relationship("Bulletin", back_populates="corrections")
    recorded_by = relationship("User")
