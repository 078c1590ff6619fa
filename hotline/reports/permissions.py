"""Who may see which figures and act on exemptions and score schemes. Named predicates.

Supervisors and admins see every unit's figures; a unit's staff see only their own unit's
(another unit's: 404, as for its tickets). Operators, dispatchers and knowledge-base
editors do not see the assessment figures.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from ..accounts.models import Role
from ..extensions import db
from ..sla.models import Deadline, DeadlineKind

ALL_FIGURES_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_unit_staff(user) -> bool:
    return user.role == Role.UNIT_STAFF and user.unit_id is not None


def can_view_all_figures(user) -> bool:
    return user.role in ALL_FIGURES_ROLES


def can_view_unit_figures(user, unit) -> bool:
    return can_view_all_figures(user) or (is_unit_staff(user) and unit is not None and unit.id == user.unit_id)


def can_view_some_figures(user) -> bool:
    return can_view_all_figures(user) or is_unit_staff(user)


def held_by_unit(ticket, unit_id: int) -> bool:
    """Whether ``unit_id`` led ``ticket`` at some time (had a reply deadline on it)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Deadline.ticket_id == ticket.id,
                    Deadline.kind == DeadlineKind.REPLY.value,
                    Deadline.unit_id == unit_id,
                )
            )
        )
    )


def can_request_exemption(user, ticket) -> bool:
    """A unit's staff, for a ticket their unit leads or led."""
    return is_unit_staff(user) and (ticket.lead_unit_id == user.unit_id or held_by_unit(ticket, user.unit_id))


def can_decide_exemption(user) -> bool:
    return user.role == Role.SUPERVISOR


def can_list_exemptions(user) -> bool:
    return user.role in ALL_FIGURES_ROLES or is_unit_staff(user)


def can_view_exemption(user, exemption) -> bool:
    return user.role in ALL_FIGURES_ROLES or (is_unit_staff(user) and exemption.unit_id == user.unit_id)


def can_manage_reasons(user) -> bool:
    return user.role == Role.ADMIN


def can_view_reasons(user) -> bool:
    return user.role in ALL_FIGURES_ROLES or is_unit_staff(user)


def can_manage_schemes(user) -> bool:
    return user.role == Role.ADMIN


def can_view_schemes(user) -> bool:
    return user.role in ALL_FIGURES_ROLES or is_unit_staff(user)


# --- the dashboard (工作台) ---


def can_view_dashboard(user) -> bool:
    """Supervisors and admins see the city's dashboard; unit staff their own unit's."""
    return can_view_some_figures(user)


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
