"""Which event sends which message. Connected in create_app; run in the sender's transaction.

Each message's idempotency key names the event it is for (the ticket event's id, or the
deadline's id and kind), so a repeated signal records nothing new.

- to units: new ticket (dispatch, to the lead and assisting units), reopen, urge and
  supervise orders, deadline warning, overdue; a knowledge-base article the unit owns is
  past its review-by date (once per article, review-by date and unit);
- to the unit's head: red card; to every active supervisor: overdue and red card;
- to the citizen (SMS to the caller's phone): confirmation with the ticket number when the
  ticket is submitted for dispatch (a ticket answered on the call is never submitted, so
  gets none), reply ready (on reply), evaluation invitation (when the callback closes it).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..core import signals
from ..extensions import db
from ..units.models import Unit
from .models import Notification
from .services import (
    address_for,
    article_context,
    citizen_recipient,
    get_template,
    head_recipient,
    notify,
    notify_many,
    supervisor_recipients,
    ticket_context,
    unit_recipient,
)

log = logging.getLogger(__name__)


def connect() -> None:
    signals.ticket_changed.connect(on_ticket_changed)
    signals.deadline_reached.connect(on_deadline_reached)
    signals.article_review_due.connect(on_article_review_due)


def on_ticket_changed(ticket, *, event, actor=None, now, **_):
    action = event.action
    key = f"ticket-event:{event.id}"
    if action == "submit":
        notify(
            "citizen_confirmation",
            citizen_recipient(ticket),
            key=f"ticket:{ticket.id}:citizen_confirmation",
            ticket=ticket,
            context=ticket_context(ticket),
            now=now,
        )
    elif action in ("dispatch", "reopen"):
        code = "unit_ticket_dispatched" if action == "dispatch" else "unit_ticket_reopened"
        notify_many(
            [
                (
                    code,
                    unit_recipient(unit),
                    f"{key}:unit:{unit.id}",
                    ticket_context(ticket, unit=unit, due_at=ticket.reply_due_at),
                )
                for unit in [ticket.lead_unit, *ticket.assist_units]
            ],
            ticket=ticket,
            now=now,
        )
    elif action in ("urge", "supervise") and ticket.lead_unit is not None:
        unit = ticket.lead_unit
        notify(
            f"unit_{action}",
            unit_recipient(unit),
            key=f"{key}:unit:{unit.id}",
            ticket=ticket,
            context=ticket_context(ticket, unit=unit, due_at=ticket.reply_due_at, note=event.note),
            now=now,
        )
    elif action == "reply":
        notify(
            "citizen_reply_ready",
            citizen_recipient(ticket),
            key=f"{key}:citizen",
            ticket=ticket,
            context=ticket_context(ticket, unit=ticket.lead_unit),
            now=now,
        )
    elif action == "callback" and event.to_status == "closed":
        notify(
            "citizen_evaluation",
            citizen_recipient(ticket),
            key=f"{key}:citizen",
            ticket=ticket,
            context=ticket_context(ticket),
            now=now,
        )


# deadline_reached kind → (template for the unit or its head, template for the supervisors)
_DEADLINE_MESSAGES = {
    "warning": ("unit_deadline_warning", None),
    "overdue": ("unit_overdue", "supervisor_overdue"),
    "red": ("head_red_card", "supervisor_red_card"),
}


def on_deadline_reached(deadline, *, ticket, kind, unit_id, now, **_):
    if kind not in _DEADLINE_MESSAGES:
        log.error("deadline_reached with unknown kind %r for deadline %s: no message sent", kind, deadline.id)
        return
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        log.error("deadline_reached for deadline %s names no unit (%r): no message sent", deadline.id, unit_id)
        return
    due_at = getattr(deadline, "due_at", None)
    if due_at is None and deadline.kind == "reply":
        due_at = ticket.reply_due_at
    context = ticket_context(ticket, unit=unit, due_at=due_at, deadline=deadline.kind)
    key = f"deadline:{deadline.id}:{kind}"
    to_unit, to_supervisors = _DEADLINE_MESSAGES[kind]
    if kind == "red":
        notify(to_unit, head_recipient(unit), key=f"{key}:head:{unit.id}", ticket=ticket, context=context, now=now)
    else:
        notify(to_unit, unit_recipient(unit), key=f"{key}:unit:{unit.id}", ticket=ticket, context=context, now=now)
    if to_supervisors:
        for recipient in supervisor_recipients():
            notify(to_supervisors, recipient, key=f"{key}:user:{recipient.id}", ticket=ticket, context=context, now=now)


def on_article_review_due(article, *, review_by, now, **_):
    """Tell the unit that owns a knowledge-base article past its review-by date, once.

    The hourly job signals every due article on every run; the key names the article, its
    review-by date and the unit, so the outbox keeps one message for them however many
    runs, retries and concurrent copies there are (a concurrent insert of the same key does
    nothing). When an editor sets a new review-by date and that one passes too, or gives
    the article to another unit, the new key sends a new message. Returns the new message's
    id, or None.

    An article without an owner unit, or whose unit has no address on the template's
    channel (a mobile, ``notify_phone``, for SMS, the default; ``notify_email`` for e-mail),
    gets no message and nothing in the outbox: the editors' review flag (raised by the job
    all the same) is all there is. Its key stays unused, so once an admin enters that
    address the next run tells the unit.
    """
    unit = article.owner_unit
    if unit is None:
        log.debug("article %s is due for review and has no owner unit", article.id)
        return None
    key = f"kb-article:{article.id}:review-due:{review_by.isoformat()}:unit:{unit.id}"
    # Told on an earlier run (the usual case): skip without an INSERT, which on PostgreSQL
    # would use up a value of the id sequence every hour for every overdue article, and
    # before the template's lookup.
    if db.session.scalar(select(Notification.id).where(Notification.idempotency_key == key)) is not None:
        return None
    recipient = unit_recipient(unit)
    if not address_for(get_template("unit_kb_review_due"), recipient):
        log.debug("article %s is due for review; unit %s has no address for the message", article.id, unit.code)
        return None
    return notify(
        "unit_kb_review_due",
        recipient,
        key=key,
        context=article_context(article, unit=unit, review_by=review_by),
        now=now,
    )
