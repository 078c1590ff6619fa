"""Who adds attachments and who sees an original: named predicates.

Seeing an attachment is seeing its ticket (``tickets.permissions.can_view``: another unit's
ticket, and so its attachments, is a 404). The original of an image, with its EXIF location,
is for the roles that follow up on the place itself (operators and supervisors); everyone
else, unit staff included, is served the copy without metadata.
"""

from __future__ import annotations

from ..accounts.models import Role
from ..tickets import permissions as ticket_permissions
from ..tickets.states import Status

ADDING_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR})
ORIGINAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def can_view(user, ticket) -> bool:
    return ticket_permissions.can_view(user, ticket)


def can_add(user, ticket) -> bool:
    """Operators, dispatchers and supervisors on any ticket they see; staff of its lead or an
    assisting unit on theirs; never on a merged duplicate (its photos belong on the survivor)."""
    if ticket.status == Status.MERGED or not can_view(user, ticket):
        return False
    if user.role in ADDING_ROLES:
        return True
    return ticket_permissions.is_lead_unit_staff(user, ticket) or ticket_permissions.is_assist_unit_staff(user, ticket)


def can_view_original(user) -> bool:
    return user.role in ORIGINAL_ROLES
