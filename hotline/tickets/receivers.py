"""How the tickets domain reacts to the deadline watch, through ``signals.deadline_passed``.

The watch (:mod:`hotline.sla.sweep`) knows deadlines and ticket ids only; the ticket's
events are the tickets domain's to write. For each point the watch records for the first
time, this receiver appends the system's events to the ticket, in the sweep's
transaction, and then tells the domains that act on the ticket (supervision's cards,
notifications' messages) through ``signals.deadline_reached``:

- ``warning``  → ticket event ``deadline_warning`` (超时预警)
- ``overdue``  → ticket events ``deadline_overdue`` (已超时) and ``yellow_card`` (黄牌)
- ``red``      → ticket event ``red_card`` (红牌)

The watch sends ``deadline_passed`` once per (deadline, point), so each event is written
once; a receiver that raises rolls the point back with the sweep's savepoint.
"""

from __future__ import annotations

from sqlalchemy.orm import lazyload

from ..core import signals
from ..extensions import db
from .models import Ticket
from .services import record_event

# deadline point → the ticket events it appends, in this order
POINT_EVENTS = {
    "warning": ("deadline_warning",),
    "overdue": ("deadline_overdue", "yellow_card"),
    "red": ("red_card",),
}


_KEPT = "hotline_tickets_the_watch_reached"


def on_deadline_passed(deadline, *, ticket_id: int, kind: str, unit_id: int, now, data: dict, **_kwargs) -> str:
    """Record the point on the ticket and announce it; returns the ticket's number."""
    ticket = _ticket(ticket_id)
    for action in POINT_EVENTS[kind]:
        record_event(ticket, action, actor=None, now=now, data=data)
    signals.deadline_reached.send(deadline, ticket=ticket, kind=kind, unit_id=unit_id, now=now)
    return ticket.number


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver function."""
    signals.deadline_passed.connect(on_deadline_passed)


def _ticket(ticket_id: int) -> Ticket:
    """The ticket, held until the transaction ends (the sweep commits after each batch).

    The watch sends one signal per point, often two or three for a ticket in one batch, and
    the receivers after this one read the ticket's unit, category and caller. The session
    keeps only weak references to unchanged objects: without this one it would let the
    ticket (and what the receivers loaded on it) go between two points and load it again.
    """
    session = db.session()
    transaction = session.get_transaction()
    owner, kept = session.info.get(_KEPT, (None, None))
    if owner is not transaction:
        kept = {}
        session.info[_KEPT] = (transaction, kept)
    ticket = kept.get(ticket_id)
    if ticket is None:
        ticket = kept[ticket_id] = session.get(Ticket, ticket_id, options=[lazyload("*")])
    return ticket
