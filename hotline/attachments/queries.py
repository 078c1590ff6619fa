"""Reading attachments, always through the ticket's visibility."""

from __future__ import annotations

from sqlalchemy import func, select

from ..core.errors import NotFound
from ..extensions import db
from ..tickets.models import Ticket
from . import permissions
from .models import Attachment, Kind

MAX_ID = 2**31 - 1


def _not_found() -> NotFound:
    return NotFound("No such attachment.", message_zh="附件不存在。", code="attachment_not_found")


def for_ticket(ticket) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)))


def get_visible(user, attachment_id: int) -> tuple[Attachment, Ticket]:
    """The attachment and its ticket, or 404 when either is missing or the ticket is not this
    user's to see (another unit's attachment is a 404, like its ticket)."""
    if not 1 <= attachment_id <= MAX_ID:  # an id no column holds (PostgreSQL would refuse it)
        raise _not_found()
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise _not_found()
    ticket = db.session.get(Ticket, attachment.ticket_id)
    if ticket is None or not permissions.can_view(user, ticket):
        raise _not_found()
    return attachment, ticket


def thumbnails(ticket_ids) -> dict[int, tuple[int, int | None]]:
    """For each ticket: (how many attachments, the id of its first image or None); one query."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(
            Attachment.ticket_id,
            func.count(),
            func.min(Attachment.id).filter(Attachment.thumb_key.is_not(None), Attachment.kind == Kind.FILE.value),
        )
        .where(Attachment.ticket_id.in_(list(ticket_ids)))
        .group_by(Attachment.ticket_id)
    )
    return {ticket_id: (count, first) for ticket_id, count, first in rows}
