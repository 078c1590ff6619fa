"""Who may ask for dispatch suggestions: the roles that record and route tickets, and
supervisors (who watch how routing goes). Unit staff and knowledge editors may not: the
suggestions name units and categories across the whole city."""

from __future__ import annotations

from ..accounts.models import Role

SUGGEST_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR})


def can_suggest(user) -> bool:
    return user is not None and user.is_active and user.role in SUGGEST_ROLES


def can_train(user) -> bool:
    return user is not None and user.is_active and user.role == Role.ADMIN


def can_check_reply(user, ticket) -> bool:
    """The reply check (答复规范性检查) of a reply being written: the lead unit's staff who
    write it, and supervisors (who watch replies); the ticket must be one they may see."""
    from ..tickets import permissions as ticket_permissions

    if user is None or not user.is_active or not ticket_permissions.can_view(user, ticket):
        return False
    return user.role == Role.SUPERVISOR or ticket_permissions.is_lead_unit_staff(user, ticket)


def can_set_reply_check(user) -> bool:
    """Whether a failed reply check warns or blocks, per request type: supervisors and admins."""
    return user is not None and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_dispatch_group(user) -> bool:
    """Dispatching a group of duplicates at once (一并派单): dispatchers, whose queue shows the
    groups (operators dispatch one ticket at a time when they route a call themselves)."""
    return user is not None and user.is_active and user.role == Role.DISPATCHER
