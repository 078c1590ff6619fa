"""Who may see which reports: named predicates."""

from __future__ import annotations

from ..accounts.models import Role

# --- the dashboard (R5) ---

DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def can_view_dashboard(user) -> bool:
    """Supervisors and admins see the city's dashboard; unit staff their own unit's."""
    return user.role in DASHBOARD_ROLES or (user.role == Role.UNIT_STAFF and user.unit_id is not None)
