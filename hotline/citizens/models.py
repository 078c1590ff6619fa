"""A phone number confirmed with a one-time code sent by SMS (the public web form)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db


class PhoneVerification(db.Model):
    """One code sent to one phone. Nothing personal is stored: the number and the code are
    kept as HMACs under the app's secret key. The code expires, allows a few wrong tries,
    and confirms one submission (``used_at``, set by a conditional UPDATE)."""

    __tablename__ = "phone_verifications"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)  # the form's reference, random
    phone_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
