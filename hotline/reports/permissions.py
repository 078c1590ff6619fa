"""Who may see the reports. Named predicates (each part of the reports domain appends its own)."""

from __future__ import annotations

from ..accounts.models import Role

# --- hot topics and spikes (topics.py) ---------------------------------------------------
#
# Hot topics and spikes are read from every unit's tickets (their keywords and numbers), so
# they are for the centre's supervisors and admins. A unit's staff do not see them: a
# spike's keywords and ticket numbers would show them other units' tickets (the dashboard
# may show a unit the spikes of its own area later, through its own filtered query).

TOPICS_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def can_view_hot_topics(user) -> bool:
    return user.role in TOPICS_ROLES


def can_view_spikes(user) -> bool:
    return user.role in TOPICS_ROLES
