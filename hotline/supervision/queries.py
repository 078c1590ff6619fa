"""Reading cases, cards and deliveries, always through what the user may see."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.errors import NotFound
from ..extensions import db
from ..tickets.queries import Page
from . import permissions
from .models import Card, CaseOrder, EsupDelivery, RectificationNotice, SupervisionCase

# What a list row shows, a query per relationship for the whole page (not one per row); of
# the ticket only its own columns (number, status, type), none of its relationships.
CASE_ROW_LOAD = (
    selectinload(SupervisionCase.ticket).lazyload("*"),
    selectinload(SupervisionCase.unit),
    selectinload(SupervisionCase.opened_by),
    selectinload(SupervisionCase.closed_by),
)
CARD_ROW_LOAD = (selectinload(Card.ticket).lazyload("*"), selectinload(Card.unit))


# The pages' lists count up to this many rows and say "超过 10000 件" beyond (as the ticket
# list does); the API counts exactly.
COUNT_LIMIT = 10_000


def _page(stmt, order_by, page: int, per_page: int, load=(), key=None, count_limit: int | None = None) -> Page:
    counted = stmt.order_by(None)
    if key is not None:
        counted = counted.with_only_columns(key)
    if count_limit is not None:
        counted = counted.limit(count_limit + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    capped = count_limit is not None and total > count_limit
    items = list(
        db.session.scalars(stmt.options(*load).order_by(*order_by).limit(per_page).offset((page - 1) * per_page))
    )
    return Page(items=items, total=count_limit if capped else total, page=page, per_page=per_page, total_capped=capped)


def list_cases(
    user,
    *,
    ticket_id: int | None = None,
    unit_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
    count_limit: int | None = None,
) -> Page:
    by_index = db.session.get_bind().dialect.name == "postgresql"
    stmt = select(SupervisionCase).where(permissions.visible_cases_clause(user, by_index=by_index))
    if ticket_id is not None:
        stmt = stmt.where(SupervisionCase.ticket_id == ticket_id)
    if unit_id is not None:
        stmt = stmt.where(SupervisionCase.unit_id == unit_id)
    if status:
        stmt = stmt.where(SupervisionCase.status == status)
    order = (SupervisionCase.opened_at.desc(), SupervisionCase.id.desc())
    return _page(stmt, order, page, per_page, CASE_ROW_LOAD, key=SupervisionCase.id, count_limit=count_limit)


def get_visible_case(user, case_id: int) -> SupervisionCase:
    case = db.session.scalar(
        select(SupervisionCase).where(SupervisionCase.id == case_id, permissions.visible_cases_clause(user))
    )
    if case is None:
        raise NotFound(f"No supervision case {case_id}.", message_zh="监察案件不存在。", code="case_not_found")
    return case


def get_visible_notice(user, case: SupervisionCase, notice_id: int) -> RectificationNotice:
    notice = db.session.scalar(
        select(RectificationNotice).where(RectificationNotice.id == notice_id, RectificationNotice.case_id == case.id)
    )
    if notice is None or not permissions.sees_unit(user, notice.unit_id):
        raise NotFound(f"No notice {notice_id} in case {case.id}.", message_zh="整改通知不存在。")
    return notice


def _visible(user, rows):
    return [r for r in rows if permissions.sees_unit(user, r.unit_id)]


def cards_of(user, case) -> list[Card]:
    return _visible(user, db.session.scalars(select(Card).where(Card.case_id == case.id).order_by(Card.id)))


def orders_of(user, case) -> list[CaseOrder]:
    return _visible(
        user, db.session.scalars(select(CaseOrder).where(CaseOrder.case_id == case.id).order_by(CaseOrder.id))
    )


def notices_of(user, case) -> list[RectificationNotice]:
    stmt = select(RectificationNotice).where(RectificationNotice.case_id == case.id).order_by(RectificationNotice.id)
    return _visible(user, db.session.scalars(stmt))


def list_cards(
    user,
    *,
    unit_id: int | None = None,
    color: str | None = None,
    page: int = 1,
    per_page: int = 50,
    count_limit: int | None = None,
):
    stmt = select(Card)
    if permissions.is_unit_staff(user) and user.role not in permissions.ALL_CASES_ROLES:
        stmt = stmt.where(Card.unit_id == user.unit_id)
    if unit_id is not None:
        stmt = stmt.where(Card.unit_id == unit_id)
    if color:
        stmt = stmt.where(Card.color == color)
    order = (Card.recorded_at.desc(), Card.id.desc())
    return _page(stmt, order, page, per_page, CARD_ROW_LOAD, key=Card.id, count_limit=count_limit)


def get_delivery(delivery_id: int) -> EsupDelivery | None:
    return db.session.get(EsupDelivery, delivery_id)


def list_deliveries(*, status: str | None = None, case_id: int | None = None, page: int = 1, per_page: int = 50):
    stmt = select(EsupDelivery)
    if status:
        stmt = stmt.where(EsupDelivery.status == status)
    if case_id is not None:
        stmt = stmt.where(EsupDelivery.case_id == case_id)
    return _page(stmt, (EsupDelivery.id.desc(),), page, per_page)
