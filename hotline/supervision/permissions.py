"""Who may see and act on supervision cases, cards and deliveries. Named predicates.

Supervisors see and act on every case; admins see them (and manage the deliveries to the
external system). Unit staff see only what concerns their own unit: cases about their
unit, or with a card against it or a notice to it, and within those only their own
unit's cards, orders and notices. Other roles see nothing here.
"""

from __future__ import annotations

from sqlalchemy import any_, exists, false, func, or_, select, true

from ..accounts.models import Role
from .models import Card, RectificationNotice, SupervisionCase

ALL_CASES_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_unit_staff(user) -> bool:
    return user.role == Role.UNIT_STAFF and user.unit_id is not None


def can_list_cases(user) -> bool:
    return user.role in ALL_CASES_ROLES or is_unit_staff(user)


def visible_cases_clause(user, *, by_index: bool = False):
    """A WHERE clause limiting supervision cases to those ``user`` may see. ``by_index`` (a
    list on PostgreSQL): the carded and noticed cases as ``id = ANY(ARRAY(...))``, so that the
    three halves are index scans OR-ed in a bitmap; as EXISTS, PostgreSQL reads every case
    (a busy unit's list of a big city's 290,000 cases: 670 ms against 100, README Benchmarks)."""
    if user.role in ALL_CASES_ROLES:
        return true()
    if not is_unit_staff(user):
        return false()
    if by_index:
        carded_ids = select(Card.case_id).where(Card.unit_id == user.unit_id, Card.case_id.is_not(None))
        noticed_ids = select(RectificationNotice.case_id).where(RectificationNotice.unit_id == user.unit_id)
        return or_(
            SupervisionCase.unit_id == user.unit_id,
            SupervisionCase.id == any_(func.array(carded_ids.scalar_subquery())),
            SupervisionCase.id == any_(func.array(noticed_ids.scalar_subquery())),
        )
    carded = exists().where(Card.case_id == SupervisionCase.id, Card.unit_id == user.unit_id)
    noticed = exists().where(
        RectificationNotice.case_id == SupervisionCase.id, RectificationNotice.unit_id == user.unit_id
    )
    return or_(SupervisionCase.unit_id == user.unit_id, carded, noticed)


def sees_unit(user, unit_id: int | None) -> bool:
    """Inside a visible case: may this user see an item (card, order, notice) of ``unit_id``?"""
    return user.role in ALL_CASES_ROLES or (is_unit_staff(user) and unit_id == user.unit_id)


def can_open_case(user) -> bool:
    return user.role == Role.SUPERVISOR


def can_order(user, case) -> bool:
    return user.role == Role.SUPERVISOR


def can_issue_notice(user, case) -> bool:
    return user.role == Role.SUPERVISOR


def can_close(user, case) -> bool:
    return user.role == Role.SUPERVISOR


def can_respond(user, notice) -> bool:
    return is_unit_staff(user) and notice.unit_id == user.unit_id


def can_list_cards(user) -> bool:
    return user.role in ALL_CASES_ROLES or is_unit_staff(user)


def can_manage_deliveries(user) -> bool:
    """The dead-letter list and replays of the connector to the e-supervision system."""
    return user.role == Role.ADMIN
