"""Who may see the background machinery's failures."""

from __future__ import annotations

from ..accounts.models import Role


def can_view_failed_jobs(user) -> bool:
    return user.role == Role.ADMIN


def can_retry_failed_jobs(user) -> bool:
    return user.role == Role.ADMIN
