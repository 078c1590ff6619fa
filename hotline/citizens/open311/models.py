"""Open311 clients' keys and what a request brought that a ticket has no column for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.types import UTCDateTime
from ...extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class Open311Key(db.Model):
    """An API key issued to one client system (a city app, a civic tool). Only its
    SHA-256 is stored; the key itself is shown once, when it is made."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell keys apart on the page
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Open311Request(db.Model):
    """The Open311 side of a ticket made by ``POST requests``: which client sent it, where
    (lat/long, the address as typed), the citizen's e-mail and the other fields the
    specification defines. Personal fields (e-mail, device and account ids) are never
    shown by a ``GET``."""

    __tablename__ = "open311_requests"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_keys.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    address_string: Mapped[str | None] = mapped_column(String(200))
    address_id: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    # A link to a photo or other media (kept as given; see ``keep_media_url``).
    media_url: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    key = relationship(Open311Key, lazy="joined")
