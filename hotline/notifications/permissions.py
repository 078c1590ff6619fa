"""Who may see the outbox, edit templates, retry messages and set units' contacts."""

from __future__ import annotations

from ..accounts.models import Role


def can_view_outbox(user) -> bool:
    """Supervisors and admins; recipients' addresses are masked for everyone."""
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_manage_templates(user) -> bool:
    return user.role == Role.ADMIN


def can_retry(user) -> bool:
    return user.role == Role.ADMIN


def can_manage_unit_contacts(user) -> bool:
    return user.role == Role.ADMIN
