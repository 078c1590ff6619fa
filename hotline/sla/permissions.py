"""Who may see and change deadline policies and the calendar. Named predicates."""

from __future__ import annotations

from ..accounts.models import Role


def can_view_policies(user) -> bool:
    """Supervisors watch deadlines, so they read the rules; only admins change them."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def can_manage_policies(user) -> bool:
    return user.role == Role.ADMIN


def can_view_calendar(user) -> bool:
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def can_manage_calendar(user) -> bool:
    return user.role == Role.ADMIN
