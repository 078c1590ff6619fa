"""Who may open which work queue: each role its own queues (admins and editors have none)."""

from __future__ import annotations

from ..tickets import permissions as ticket_permissions
from .definitions import Queue, queues_for


def can_use_queues(user) -> bool:
    return bool(queues_for(user))


def can_open(user, queue: Queue) -> bool:
    return queue in queues_for(user)


def can_export_tickets(user) -> bool:
    """The ticket list's Excel: whoever may list tickets (each sees only what the page shows)."""
    return ticket_permissions.can_list_tickets(user)
