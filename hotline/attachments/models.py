"""An attachment of a ticket: a stored file (photo or PDF) or a link to media elsewhere."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db


class Kind(StrEnum):
    FILE = "file"  # stored bytes (an upload)
    LINK = "link"  # a URL given by another system (Open311's media_url), never fetched


class Source(StrEnum):
    STAFF = "staff"  # added on the ticket page or through the API by an operator, a unit ...
    REPLY = "reply"  # sent with a unit's reply
    WEB_FORM = "web_form"  # the citizen's public web form (网上留言)
    OPEN311 = "open311"  # an Open311 client


SOURCE_LABELS = {
    Source.STAFF: "工作人员上传",
    Source.REPLY: "随答复上传",
    Source.WEB_FORM: "市民网上留言",
    Source.OPEN311: "外部系统提交",
}


def _in(column: str, enum) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class Attachment(db.Model):
    """One attachment. A file's bytes are in the storage under content-addressed keys:
    ``original_key`` the bytes as received (kept for operators and supervisors), ``shown_key``
    the copy everyone else is served (an image re-encoded without its metadata: no EXIF, no
    GPS location; a PDF as received), ``thumb_key`` a small JPEG of an image."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("kind", Kind), name="kind"),
        CheckConstraint(_in("source", Source), name="source"),
        CheckConstraint(
            "(kind = 'file' AND shown_key IS NOT NULL AND original_key IS NOT NULL AND media_type IS NOT NULL "
            "AND size > 0 AND url IS NULL) OR (kind = 'link' AND url IS NOT NULL AND shown_key IS NULL)",
            name="file_or_link",
        ),
        Index("ix_attachments_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id"))
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str | None] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    original_key: Mapped[str | None] = mapped_column(String(100))
    shown_key: Mapped[str | None] = mapped_column(String(100))
    thumb_key: Mapped[str | None] = mapped_column(String(100))
    # The original carried a location (EXIF GPS), stripped from the copy shown.
    had_location: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(2000))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    added_by = relationship("User", lazy="joined")
    added_by_unit = relationship("Unit", lazy="joined")

    @property
    def is_image(self) -> bool:
        return self.kind == Kind.FILE and (self.media_type or "").startswith("image/")
