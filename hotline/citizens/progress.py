"""办理进度查询: a ticket's progress for the citizen who called, from its number and the last
four digits of the caller's phone.

What it shows is what the confirmation SMS promises and nothing personal: the request type
and category, when it was received, which unit handles it, the steps taken with their
dates, and once the unit's reply is final (the ticket replied or closed), the reply, with any
phone or ID number in it masked. A wrong number, a wrong pair or a merged-away ticket's
wrong pair all answer the same "not found". Lookups are limited per client address and per
ticket number, so the four digits cannot be guessed (10 a number an hour: 10,000 pairs
would take over 40 days of one number's lookups).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..core import clock
from ..core.privacy import mask_personal_numbers
from ..core.ratelimit import Limit
from ..core.vocabulary import REQUEST_TYPE_LABELS
from ..extensions import db
from ..tickets.models import Reply, Ticket
from ..tickets.states import Status

LIMITS_PER_ADDRESS = (Limit("progress-address-minute", 10, 60), Limit("progress-address-hour", 60, 3600))
LIMIT_PER_NUMBER = Limit("progress-number-hour", 10, 3600)

# What a citizen is told about each state (not the staff's words).
STAGES = {
    Status.NEW: "已受理",
    Status.PENDING_DISPATCH: "已受理，正在转交承办单位",
    Status.RETURNED: "已受理，正在重新转交承办单位",
    Status.DISPATCHED: "承办单位办理中",
    Status.ACCEPTED: "承办单位办理中",
    Status.REPLIED: "承办单位已答复，等待回访",
    Status.CLOSED: "已办结",
    Status.MERGED: "已与同一事项的工单合并办理",
}


@dataclass
class Step:
    label: str
    at: str


@dataclass
class Progress:
    number: str
    stage: str
    request_type: str
    category: str
    received_at: str
    unit: str | None
    reply_due_at: str | None
    steps: list[Step] = field(default_factory=list)
    reply: str | None = None
    replied_at: str | None = None
    merged_into: str | None = None


def find(number: str, phone_last4: str) -> Ticket | None:
    """The ticket whose number and caller's last four digits both match, else None."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        return None
    phone = ticket.caller.phone if ticket.caller else ""
    return ticket if hmac.compare_digest(phone[-4:].encode(), phone_last4.encode()) else None


def _iso(value: datetime | None) -> str | None:
    return clock.isoformat(value) if value else None


def _steps(ticket: Ticket) -> list[Step]:
    candidates = [
        ("来电受理", ticket.created_at),
        ("转交承办单位", ticket.dispatched_at),
        ("承办单位签收", ticket.accepted_at),
        ("承办单位答复", ticket.replied_at),
        ("重新办理", ticket.reopened_at),
        ("办结", ticket.closed_at if ticket.status == Status.CLOSED else None),
    ]
    steps = [Step(label, _iso(at)) for label, at in candidates if at is not None]
    return sorted(steps, key=lambda s: s.at)


def document(ticket: Ticket) -> Progress:
    status = Status(ticket.status)
    progress = Progress(
        number=ticket.number,
        stage=STAGES[status],
        request_type=REQUEST_TYPE_LABELS.get(ticket.request_type, "诉求"),
        category=ticket.category.name if ticket.category else "",
        received_at=_iso(ticket.created_at),
        unit=ticket.lead_unit.name if ticket.lead_unit and status != Status.MERGED else None,
        reply_due_at=_iso(ticket.reply_due_at) if status in (Status.DISPATCHED, Status.ACCEPTED) else None,
        steps=_steps(ticket),
    )
    if status == Status.MERGED and ticket.duplicate_of is not None:
        progress.merged_into = ticket.duplicate_of.number
    if status in (Status.REPLIED, Status.CLOSED):
        if ticket.answer_text and ticket.lead_unit_id is None:  # answered on the call
            progress.reply, progress.replied_at = mask_personal_numbers(ticket.answer_text), _iso(ticket.closed_at)
        else:
            reply = db.session.scalar(
                select(Reply).where(Reply.ticket_id == ticket.id).order_by(Reply.created_at.desc(), Reply.id.desc())
            )
            if reply is not None:
                progress.reply, progress.replied_at = mask_personal_numbers(reply.content), _iso(reply.created_at)
    return progress
