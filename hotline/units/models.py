from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db


class Level(StrEnum):
    CITY = "city"
    DISTRICT = "district"
    TOWN = "town"


LEVEL_RANK = {Level.CITY: 0, Level.DISTRICT: 1, Level.TOWN: 2}
LEVEL_LABELS = {Level.CITY: "市级", Level.DISTRICT: "区级", Level.TOWN: "镇街"}


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("level IN ('city', 'district', 'town')", name="level"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where the unit's notifications go (hotline.notifications): a mobile for SMS, an
    # address for e-mail; and its head (负责人), who gets red cards.
    notify_phone: Mapped[str | None] = mapped_column(String(20))
    notify_email: Mapped[str | None] = mapped_column(String(254))
    head_name: Mapped[str | None] = mapped_column(String(50))
    head_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent = relationship("Unit", remote_side=[id], lazy="joined", join_depth=1)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
