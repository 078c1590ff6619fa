from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from ..extensions import db
from .models import Category


def get_by_code(code: str) -> Category | None:
    """With its parent: a ticket shows the category's full name (parent / child). The
    default lead units are not joined (half the columns; intake does not use them): one
    that is used is loaded by its key."""
    return db.session.scalar(_BY_CODE, {"code": code})


_BY_CODE = (
    select(Category)
    .where(Category.code == bindparam("code"))
    .options(
        lazyload(Category.default_lead_unit),
        joinedload(Category.parent).lazyload(Category.default_lead_unit),
    )
)


def list_categories(*, include_inactive: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    return list(db.session.scalars(stmt))
