"""Adding attachments: the only writers, each add audited in the caller's transaction.

:func:`attach_upload` (a file: photo or PDF, checked from its bytes) and :func:`attach_link`
(a URL held elsewhere, such as Open311's ``media_url``; never fetched). Both take the actor
and ``now``, check the permission, flush, and never commit.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from ..accounts.models import Role
from ..audit.services import record as audit
from ..core.errors import Forbidden, InvalidInput
from ..extensions import db
from . import content, permissions
from .models import Attachment, Kind, Source
from .storage import get_storage, key_for

# The most attachments one ticket carries (files and links together).
MAX_PER_TICKET = 30
MAX_URL = 2000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _check_allowed(ticket, actor, *, check_permission: bool) -> None:
    if check_permission and not permissions.can_add(actor, ticket):
        raise Forbidden(
            "You may not add attachments to this ticket.",
            message_zh="您无权为该工单添加附件。",
            code="action_forbidden",
        )
    count = db.session.scalar(select(func.count()).where(Attachment.ticket_id == ticket.id)) or 0
    if count >= MAX_PER_TICKET:
        raise InvalidInput(
            f"A ticket carries at most {MAX_PER_TICKET} attachments.",
            message_zh=f"每张工单最多 {MAX_PER_TICKET} 个附件。",
            code="too_many_attachments",
            field="file",
        )


def clean_filename(name: str | None) -> str:
    """The name as shown: no folders, no control characters, at most 200 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:200] or "附件"


def read_limited(stream: BinaryIO, limit: int, *, field: str = "file") -> bytes:
    """At most ``limit`` bytes of ``stream``; a longer one is refused."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"The file is larger than {limit} bytes.",
            message_zh=f"文件过大（每个文件不超过 {limit // (1024 * 1024)} MB）。",
            code="attachment_too_large",
            field=field,
        )
    return data


def _unit_of(actor):
    return actor.unit_id if getattr(actor, "role", None) == Role.UNIT_STAFF else None


def attach_upload(
    ticket,
    stream: BinaryIO | bytes,
    filename: str | None,
    *,
    actor,
    now: datetime,
    source: str = Source.STAFF.value,
    reply=None,
    check_permission: bool = True,
) -> Attachment:
    """Store a photo or PDF on ``ticket``: its bytes checked, an image's shown copy stripped of
    its metadata, a thumbnail made. Refused (422, field ``file``): not an accepted type judged
    from the content, over the size limit, damaged, or the ticket full."""
    _check_allowed(ticket, actor, check_permission=check_permission)
    data = read_limited(io.BytesIO(stream) if isinstance(stream, bytes) else stream, max_bytes())
    checked = content.check(data)
    storage = get_storage()
    extension = content.EXTENSIONS[checked.media_type]
    keys = {}
    for name, blob, ext in (
        ("original_key", checked.original, extension),
        ("shown_key", checked.shown, extension),
        ("thumb_key", checked.thumb, "jpg"),
    ):
        if blob is None:
            keys[name] = None
            continue
        keys[name] = key_for(blob, ext)
        storage.put(keys[name], blob)
    attachment = Attachment(
        ticket_id=ticket.id,
        reply_id=getattr(reply, "id", None),
        kind=Kind.FILE.value,
        source=source,
        media_type=checked.media_type,
        filename=clean_filename(filename),
        size=len(data),
        width=checked.width,
        height=checked.height,
        had_location=checked.had_location,
        added_by_id=actor.id,
        added_by_unit_id=_unit_of(actor),
        created_at=now,
        **keys,
    )
    db.session.add(attachment)
    db.session.flush()
    _audit(attachment, ticket, actor, now)
    return attachment


def attach_link(
    ticket,
    url: str,
    *,
    actor,
    now: datetime,
    source: str = Source.OPEN311.value,
    filename: str | None = None,
    check_permission: bool = True,
) -> Attachment:
    """Keep a link to media held elsewhere (http or https only; never fetched here)."""
    _check_allowed(ticket, actor, check_permission=check_permission)
    url = (url or "").strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput(
            "The link must be an http or https URL of at most 2000 characters.",
            message_zh="链接必须是以 http 或 https 开头的网址（不超过 2000 个字符）。",
            code="invalid_url",
            field="url",
        )
    attachment = Attachment(
        ticket_id=ticket.id,
        kind=Kind.LINK.value,
        source=source,
        filename=clean_filename(filename or parts.path.rsplit("/", 1)[-1] or parts.netloc),
        url=url,
        added_by_id=actor.id,
        added_by_unit_id=_unit_of(actor),
        created_at=now,
    )
    db.session.add(attachment)
    db.session.flush()
    _audit(attachment, ticket, actor, now)
    return attachment


def _audit(attachment: Attachment, ticket, actor, now: datetime) -> None:
    audit(
        actor=actor,
        action="attachment.add",
        object_type="attachment",
        object_id=attachment.id,
        now=now,
        data={
            "ticket": ticket.number,
            "kind": attachment.kind,
            "source": attachment.source,
            "media_type": attachment.media_type,
            "size": attachment.size,
            "had_location": attachment.had_location,
            "reply_id": attachment.reply_id,
        },
    )
