"""The ticket's life: one function per action, and :func:`transition`, the only writer
of ``Ticket.status``.

Services take the actor and ``now``; they check the named permission and the state
table, change the ticket, append the immutable event, and flush. They never commit:
the caller owns the transaction.

- :mod:`.recording`: :func:`check`, :func:`transition`, :func:`record_event` and the helpers
  every action shares;
- :mod:`.intake`: :class:`NewTicket` and :func:`create` (登记);
- :mod:`.workflow`: answer, submit, dispatch, accept, return, reply, callback, merge, and
  the recorded remarks (urge, supervise, note);
- :mod:`.extension_requests`: request and decide an extension (延期).

Callers use this package's names (``services.dispatch(...)``), not the modules.
"""

from __future__ import annotations

from .extension_requests import MAX_EXTENSION_HOURS, decide_extension, pending_extension, request_extension
from .intake import NewTicket, create
from .recording import check, record_event, transition
from .workflow import (
    accept,
    add_note,
    answer,
    callback,
    dispatch,
    merge,
    reply,
    return_ticket,
    submit,
    supervise,
    urge,
)

__all__ = [
    "MAX_EXTENSION_HOURS",
    "NewTicket",
    "accept",
    "add_note",
    "answer",
    "callback",
    "check",
    "create",
    "decide_extension",
    "dispatch",
    "merge",
    "pending_extension",
    "record_event",
    "reply",
    "request_extension",
    "return_ticket",
    "submit",
    "supervise",
    "transition",
    "urge",
]
