from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db


class Caller(db.Model):
    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The normalised number (hotline.core.phones.normalise): one row per number.
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
