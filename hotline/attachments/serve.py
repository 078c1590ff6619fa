"""Sending an attachment's bytes (the API and the pages share this)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from ..core.errors import Forbidden, NotFound
from . import permissions
from .content import EXTENSIONS, PDF
from .models import Attachment, Kind
from .storage import get_storage


def send(attachment: Attachment, variant: str, viewer) -> Response:
    """``shown`` (metadata stripped), ``thumbnail`` (a small JPEG) or ``original`` (operators
    and supervisors only). Images are shown in the page; a PDF is always a download."""
    if attachment.kind != Kind.FILE:
        raise NotFound("A link has no content here.", message_zh="该附件是外部链接。", code="attachment_not_found")
    if variant == "original" and not permissions.can_view_original(viewer):
        raise Forbidden("Only operators and supervisors see originals.", message_zh="您无权查看原图。")
    key = {"shown": attachment.shown_key, "thumbnail": attachment.thumb_key, "original": attachment.original_key}[
        variant
    ]
    if key is None:
        raise NotFound("This attachment has no such copy.", message_zh="附件没有该版本。", code="attachment_not_found")
    try:
        data = get_storage().get(key)
    except KeyError:
        raise NotFound(
            "The attachment's file is missing.", message_zh="附件文件缺失。", code="attachment_missing"
        ) from None
    media_type = "image/jpeg" if variant == "thumbnail" else attachment.media_type
    response = Response(data, mimetype=media_type)
    name = attachment.filename
    if not name.lower().endswith("." + EXTENSIONS[attachment.media_type]):
        name = f"{name}.{EXTENSIONS[attachment.media_type]}"
    disposition = "attachment" if media_type == PDF else "inline"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
