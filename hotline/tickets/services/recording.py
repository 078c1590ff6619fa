"""The one place that moves a ticket: :func:`check`, :func:`transition` (the only writer of
``Ticket.status``) and :func:`record_event`, with the helpers every ticket service shares."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from ...core import signals, txcache
from ...core.errors import ConcurrentUpdate, Forbidden, InvalidTransition
from ...extensions import db
from .. import permissions, states
from ..models import Ticket, TicketEvent
from ..states import ACTION_LABELS, STATUS_LABELS, Action, Status


def check(ticket: Ticket, action: Action, actor) -> Status:
    """Refuse (403 or 409) unless ``actor`` may do ``action`` to ``ticket`` now.

    Returns the status the ticket will have afterwards. Changes nothing.
    """
    action = Action(action)
    if actor is not None and not permissions.can_perform(actor, action, ticket):
        raise Forbidden(
            f"Your role may not {action.value} this ticket.",
            message_zh=f"您无权对此工单执行“{ACTION_LABELS[action]}”。",
            code="action_forbidden",
        )
    try:
        return states.next_status(ticket.status, action)
    except states.TransitionRefused:
        status = Status(ticket.status)
        raise InvalidTransition(
            f"Cannot {action.value} a ticket that is {status.value}.",
            message_zh=f"工单当前状态为“{STATUS_LABELS[status]}”，不能{ACTION_LABELS[action]}。",
        ) from None


def transition(
    ticket: Ticket, action: Action, *, actor, now: datetime, note: str | None = None, data: dict | None = None
) -> TicketEvent:
    """Check, move and record: the only code that writes ``ticket.status``."""
    to_status = check(ticket, action, actor)
    event = record_event(
        ticket, action, actor=actor, now=now, note=note, data=data, from_status=ticket.status, to_status=to_status.value
    )
    ticket.status = to_status.value
    ticket.updated_at = now
    return event


_UNCHANGED = object()


def record_event(
    ticket: Ticket,
    action: str,
    *,
    actor,
    now: datetime,
    note: str | None = None,
    data: dict | None = None,
    from_status=_UNCHANGED,
    to_status=_UNCHANGED,
) -> TicketEvent:
    """Append an immutable event. ``actor`` None means the system (the deadline watch)."""
    event = TicketEvent(
        **event_values(
            ticket, action, actor=actor, now=now, note=note, data=data, from_status=from_status, to_status=to_status
        )
    )
    db.session.add(event)
    timeline = txcache.peek(db.session(), ("ticket_events", ticket.id))
    if timeline is not None:  # the ticket's events, read or recorded in this transaction
        timeline.append(event)
    return event


def added(ticket: Ticket, collection: str, row) -> None:
    """A service added ``row`` to the ticket's ``collection`` (replies, callbacks, duplicates:
    see tickets.queries.COLLECTIONS): a list of it this transaction keeps (read, or started
    empty because the ticket had none) gets it too, so that the answer shows it unread."""
    kept = txcache.peek(db.session(), (collection, ticket.id))
    if kept is not None:
        kept.append(row)


def event_values(ticket, action, *, actor, now, note=None, data=None, from_status=_UNCHANGED, to_status=_UNCHANGED):
    return {
        "ticket_id": ticket.id,
        "action": str(action),
        "from_status": ticket.status if from_status is _UNCHANGED else from_status,
        "to_status": ticket.status if to_status is _UNCHANGED else to_status,
        "actor_id": getattr(actor, "id", None),
        "actor_role": getattr(actor, "role", None),
        "actor_unit_id": getattr(actor, "unit_id", None),
        "at": now,
        "note": note,
        "data": data or {},
    }


def no_autoflush(service):
    """Run a service with autoflush off: a lazy load halfway through a change must not
    flush a half-changed ticket (the CHECK constraints would rightly refuse it).
    The service flushes explicitly at the end."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return service(*args, **kwargs)

    return wrapper


def flush() -> None:
    """Write now, so that a concurrent change surfaces here as a clean 409."""
    try:
        db.session.flush()
    except StaleDataError:
        raise ConcurrentUpdate() from None


def done(ticket: Ticket, event: TicketEvent, actor, now: datetime) -> TicketEvent:
    """Tell the other domains what is about to be written (what they change goes in the
    same flush), flush the change, then tell them it was (in this transaction)."""
    signals.ticket_changing.send(ticket, event=event, actor=actor, now=now)
    flush()
    signals.ticket_changed.send(ticket, event=event, actor=actor, now=now)
    return event
