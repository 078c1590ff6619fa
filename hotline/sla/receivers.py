"""Ticket changes that stop a unit's clocks, through ``signals.ticket_changed``.

Runs inside the ticket action's transaction (never commits). Dispatch, reopen and
extensions are not here: the ticket services call :mod:`hotline.sla.services` for those,
because the ticket's ``reply_due_at`` and the dispatch event need the computed deadline.
"""

from __future__ import annotations

from ..core import signals
from ..extensions import db
from .models import DeadlineKind, StopReason
from .services import stop_clocks

# ticket action → (clocks it stops, why)
STOPS = {
    "accept": ((DeadlineKind.ACCEPT,), StopReason.MET),
    "reply": ((DeadlineKind.ACCEPT, DeadlineKind.REPLY), StopReason.MET),
    "return": ((DeadlineKind.ACCEPT, DeadlineKind.REPLY), StopReason.RETURNED),
    "merge": ((DeadlineKind.ACCEPT, DeadlineKind.REPLY), StopReason.MERGED),
    "callback": ((DeadlineKind.ACCEPT, DeadlineKind.REPLY), StopReason.CLOSED),
    "answer": ((DeadlineKind.ACCEPT, DeadlineKind.REPLY), StopReason.CLOSED),
}


def on_ticket_changed(ticket, *, event, now, **_kwargs) -> None:
    """``ticket`` is the signal's sender: only its id is read."""
    stop = STOPS.get(event.action)
    if stop is not None:
        kinds, reason = stop
        if stop_clocks(ticket.id, now=now, reason=reason, kinds=kinds):
            db.session.flush()


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver function."""
    signals.ticket_changed.connect(on_ticket_changed)
