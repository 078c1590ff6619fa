"""Who may see and do what in the reports domain. Named predicates."""

from __future__ import annotations

from ..accounts.models import Role

# --- the monthly bulletin (运行情况通报) -----------------------------------------------
# Published bulletins are read by supervisors, admins and every unit's staff (a bulletin
# is circulated to all member units); previews (unpublished figures) by supervisors and
# admins only; supervisors publish and record corrections.


def can_read_bulletins(user) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN) or (user.role == Role.UNIT_STAFF and user.unit_id is not None)


def can_preview_bulletin(user) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_publish_bulletin(user) -> bool:
    return user.role == Role.SUPERVISOR


def can_record_corrections(user) -> bool:
    return user.role == Role.SUPERVISOR
