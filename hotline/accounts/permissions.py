"""Who may see what outside the ticket workflow. Named predicates, tested per role."""

from __future__ import annotations

from .models import Role

# Roles that see a caller's full phone number. Unit staff see it masked.
FULL_PHONE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def can_see_full_phone(user) -> bool:
    return user.role in FULL_PHONE_ROLES


def must_mask_personal_numbers(user) -> bool:
    """Phone and identity numbers inside any text (content, address, notes, replies, messages)
    are masked for this user in every answer, page, export and message (hotline.core.privacy)."""
    return not can_see_full_phone(user)


def can_manage_users(user) -> bool:
    return user.role == Role.ADMIN


def can_manage_units(user) -> bool:
    return user.role == Role.ADMIN


def can_manage_categories(user) -> bool:
    return user.role == Role.ADMIN


def can_view_directory(user) -> bool:
    """Units and categories are reference data every signed-in role needs."""
    return True


def can_view_audit(user) -> bool:
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def can_view_caller_lookups(user) -> bool:
    """Who looked a citizen's history up (the audit trail of caller lookups)."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def can_administer(user) -> bool:
    """The admin pages (系统管理): units, users, categories, deadlines, calendar, templates, jobs."""
    return user.role == Role.ADMIN
