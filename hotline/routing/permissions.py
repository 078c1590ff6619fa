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
