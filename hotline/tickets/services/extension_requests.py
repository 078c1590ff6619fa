"""Extension requests (延期申请): the unit asks for more time, a dispatcher decides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ...core import clock
from ...core.errors import Conflict, InvalidInput
from ...extensions import db
from ...sla import services as deadlines
from ..models import ExtensionRequest, ExtensionStatus, Ticket
from ..states import Action
from .recording import check, done, no_autoflush, transition

A = Action

MAX_EXTENSION_HOURS = 720


@no_autoflush
def request_extension(ticket: Ticket, *, actor, now: datetime, hours: int, reason: str) -> ExtensionRequest:
    check(ticket, A.REQUEST_EXTENSION, actor)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_EXTENSION_HOURS:
        raise InvalidInput(
            f"hours must be a whole number from 1 to {MAX_EXTENSION_HOURS}.",
            message_zh=f"延期时长应为 1–{MAX_EXTENSION_HOURS} 小时。",
            field="hours",
        )
    if not reason:
        raise InvalidInput("Give the reason for the extension.", message_zh="请填写延期理由。", field="reason")
    if pending_extension(ticket) is not None:
        raise Conflict(
            "An extension request is already waiting for a decision.",
            message_zh="已有待审批的延期申请。",
            code="extension_pending",
        )
    request = ExtensionRequest(
        ticket_id=ticket.id,
        unit_id=ticket.lead_unit_id,
        requested_by_id=actor.id,
        hours=hours,
        reason=reason,
        status=ExtensionStatus.PENDING.value,
        created_at=now,
        previous_due_at=ticket.reply_due_at,
    )
    db.session.add(request)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "An extension request is already waiting for a decision.",
            message_zh="已有待审批的延期申请。",
            code="extension_pending",
        ) from None
    event = transition(
        ticket,
        A.REQUEST_EXTENSION,
        actor=actor,
        now=now,
        note=reason,
        data={"hours": hours, "extension_request_id": request.id},
    )
    done(ticket, event, actor, now)
    return request


@no_autoflush
def decide_extension(
    ticket: Ticket, *, actor, now: datetime, approve: bool, note: str | None = None
) -> ExtensionRequest:
    check(ticket, A.DECIDE_EXTENSION, actor)
    request = pending_extension(ticket)
    if request is None:
        raise Conflict(
            "There is no extension request waiting for a decision.",
            message_zh="没有待审批的延期申请。",
            code="no_pending_extension",
        )
    request.status = (ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED).value
    request.decided_by = actor  # the object too: the request was read with its relationships
    request.decided_at = now
    request.decision_note = note
    data = {"approve": approve, "hours": request.hours, "extension_request_id": request.id}
    if approve:
        request.previous_due_at = ticket.reply_due_at
        request.new_due_at = deadlines.extend_reply(
            ticket.id,
            due_at=ticket.reply_due_at,
            hours=request.hours,
            now=now,
            request_id=request.id,
            context=ticket.number,
        )
        ticket.reply_due_at = request.new_due_at
        data["reply_due_at"] = clock.isoformat(request.new_due_at)
    event = transition(ticket, A.DECIDE_EXTENSION, actor=actor, now=now, note=note, data=data)
    done(ticket, event, actor, now)
    return request


def pending_extension(ticket: Ticket) -> ExtensionRequest | None:
    """The request waiting for a decision (at most one: a partial unique index)."""
    from .. import queries  # not at import: its loader options need every model mapped

    return next((r for r in queries.extension_requests(ticket) if r.status == ExtensionStatus.PENDING), None)


def withdraw_pending_extension(ticket: Ticket, now: datetime) -> None:
    """A reply, return or merge withdraws the request still waiting (written at the flush,
    only if there is one)."""
    request = pending_extension(ticket)
    if request is not None:
        request.status = ExtensionStatus.WITHDRAWN.value
        request.decided_at = now
