"""Who may see a ticket and who may act on it: named predicates.

Views call these to answer 404 (may not see) or 403 (may see, may not act); the
service calls :func:`can_perform` again so that no path skips the rule.
"""

from __future__ import annotations

from ..accounts.models import Role
from .states import Action

A = Action

# Roles that see every ticket. Unit staff see the tickets of their own unit only;
# knowledge editors see none.
ALL_TICKETS_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})

# Actions by role, for roles that act on any visible ticket.
_ROLE_ACTIONS: dict[Action, frozenset[Role]] = {
    A.ANSWER: frozenset({Role.OPERATOR}),
    A.SUBMIT: frozenset({Role.OPERATOR}),
    A.DISPATCH: frozenset({Role.DISPATCHER, Role.OPERATOR}),
    A.DECIDE_EXTENSION: frozenset({Role.SUPERVISOR}),
    A.CALLBACK: frozenset({Role.OPERATOR}),
    A.REOPEN: frozenset({Role.OPERATOR}),
    A.MERGE: frozenset({Role.OPERATOR, Role.DISPATCHER}),
    A.URGE: frozenset({Role.SUPERVISOR}),
    A.SUPERVISE: frozenset({Role.SUPERVISOR}),
    A.NOTE: frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR}),
}
# Actions for staff of the ticket's lead unit (主办单位).
_LEAD_UNIT_ACTIONS = frozenset({A.ACCEPT, A.RETURN, A.REPLY, A.REQUEST_EXTENSION, A.NOTE})
# Actions for staff of an assisting unit (协办单位): notes only.
_ASSIST_UNIT_ACTIONS = frozenset({A.NOTE})


def is_lead_unit_staff(user, ticket) -> bool:
    return user.role == Role.UNIT_STAFF and user.unit_id is not None and ticket.lead_unit_id == user.unit_id


def is_assist_unit_staff(user, ticket) -> bool:
    return user.role == Role.UNIT_STAFF and any(u.id == user.unit_id for u in ticket.assist_units)


def can_list_tickets(user) -> bool:
    return user.role in ALL_TICKETS_ROLES or user.role == Role.UNIT_STAFF


def can_view(user, ticket) -> bool:
    if user.role in ALL_TICKETS_ROLES:
        return True
    return is_lead_unit_staff(user, ticket) or is_assist_unit_staff(user, ticket)


def can_create(user) -> bool:
    return user.role == Role.OPERATOR


def can_lookup_caller(user) -> bool:
    """The caller's history by phone number: only roles that see full numbers."""
    return user.role in (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def can_perform(user, action: Action | str, ticket) -> bool:
    action = Action(action)
    if not can_view(user, ticket):
        return False
    if user.role in _ROLE_ACTIONS.get(action, ()):
        return True
    if is_lead_unit_staff(user, ticket) and action in _LEAD_UNIT_ACTIONS:
        return True
    return is_assist_unit_staff(user, ticket) and action in _ASSIST_UNIT_ACTIONS


def actions_for(user, ticket, allowed: list[Action]) -> list[Action]:
    """The actions this user may take on this ticket now (for the UI's buttons)."""
    return [a for a in allowed if a is not A.REOPEN and can_perform(user, a, ticket)]
