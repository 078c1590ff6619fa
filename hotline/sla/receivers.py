"""Ticket changes that stop a unit's clocks, through ``signals.ticket_changing``.

Runs inside the ticket action's transaction (never commits), before the action's flush: the
stopped clocks are written in the same flush as the ticket and its event. Dispatch, reopen and
extensions are not here: the ticket services call :mod:`hotline.sla.services` for those,
because the ticket's ``reply_due_at`` and the dispatch event need the computed deadline.
"""

from __future__ import annotations

from ..core import signals
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


def on_ticket_changing(ticket, *, event, now, **_kwargs) -> None:
    """``ticket`` is the signal's sender: only its id is read. The caller flushes."""
    stop = STOPS.get(event.action)
    if stop is not None:
        kinds, reason = stop
        stop_clocks(ticket.id, now=now, reason=reason, kinds=kinds)


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver function."""
    signals.ticket_changing.connect(on_ticket_changing)
