"""The attachments' API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ..core.validation import QuerySchema
from . import permissions
from .models import Attachment, Kind


class AttachmentOut(BaseModel):
    id: int
    kind: str  # file, link
    source: str  # staff, reply, web_form, open311
    media_type: str | None
    filename: str
    size: int | None
    width: int | None
    height: int | None
    url: str | None  # a link's address
    location_removed: bool  # the original had a GPS location, not in the copy shown
    reply_id: int | None
    added_by: str
    added_by_unit: str | None
    created_at: datetime
    content_url: str | None
    thumbnail_url: str | None
    original_url: str | None  # only for operators and supervisors, when the original differs


class AttachmentListOut(BaseModel):
    attachments: list[AttachmentOut]


class ContentQuery(QuerySchema):
    variant: Literal["shown", "thumbnail", "original"] = "shown"


def attachment_out(a: Attachment, viewer, *, url_for) -> AttachmentOut:
    is_file = a.kind == Kind.FILE
    original = is_file and permissions.can_view_original(viewer) and a.original_key != a.shown_key
    return AttachmentOut(
        id=a.id,
        kind=a.kind,
        source=a.source,
        media_type=a.media_type,
        filename=a.filename,
        size=a.size,
        width=a.width,
        height=a.height,
        url=a.url,
        location_removed=a.had_location,
        reply_id=a.reply_id,
        added_by=a.added_by.display_name if a.added_by else "",
        added_by_unit=a.added_by_unit.name if a.added_by_unit else None,
        created_at=a.created_at,
        content_url=url_for(a, "shown") if is_file else None,
        thumbnail_url=url_for(a, "thumbnail") if is_file and a.thumb_key else None,
        original_url=url_for(a, "original") if original else None,
    )
