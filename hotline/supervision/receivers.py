"""How supervision reacts to tickets and to the deadline watch. Connected in create_app;
each receiver runs in the sender's transaction and is idempotent.

- ticket_created: every complaint (投诉) opens a supervision case at intake;
- ticket_changed: urge/supervise actions are recorded on the ticket's open case; on
  dispatch the open case that names no unit yet gets the lead unit; on merge the
  duplicate's case and cards are settled (``merging``);
- deadline_reached: "overdue" records a yellow card, "red" a red card, against the
  responsible unit, on the ticket's open case (opened if none). Once per (deadline, color).
"""

from __future__ import annotations

import logging

from ..core import signals
from ..tickets.models import RequestType
from . import merging, services
from .models import CardColor, CaseOrigin

log = logging.getLogger(__name__)

_CARD_FOR = {"overdue": CardColor.YELLOW.value, "red": CardColor.RED.value}


def connect() -> None:
    signals.ticket_created.connect(on_ticket_created)
    signals.ticket_changed.connect(on_ticket_changed)
    signals.deadline_reached.connect(on_deadline_reached)


def on_ticket_created(ticket, *, actor=None, now, **_):
    if ticket.request_type == RequestType.COMPLAINT:
        services.ensure_open_case(ticket, origin=CaseOrigin.COMPLAINT.value, now=now, actor=actor)


def on_ticket_changed(ticket, *, event, actor=None, now, **_):
    if event.action in ("urge", "supervise"):
        services.record_ticket_order(ticket, event, actor=actor, now=now)
    elif event.action in ("dispatch", "reopen"):
        services.assign_unit(ticket, now=now)
    elif event.action == "merge":
        merging.on_merged(ticket, actor=actor, now=now)


def on_deadline_reached(deadline, *, ticket, kind, unit_id, now, **_):
    color = _CARD_FOR.get(kind)
    if color is None:  # a warning: a message, no card
        return
    if ticket.status == "merged":  # a sweep that raced the merge: the duplicate earns nothing
        return
    if unit_id is None:
        log.error("deadline_reached(%s) for deadline %s names no unit: no card recorded", kind, deadline.id)
        return
    services.record_card(
        deadline_id=deadline.id,
        deadline_kind=deadline.kind,
        color=color,
        ticket=ticket,
        unit_id=unit_id,
        due_at=getattr(deadline, "due_at", None),
        now=now,
    )
