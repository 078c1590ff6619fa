from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from ..extensions import db
from .models import Category


def get_by_code(code: str, *, lead_unit: bool = True) -> Category | None:
    """With its parent: a ticket shows the category's full name (parent / child).

    ``lead_unit=False`` leaves the default lead units to be loaded if used (intake does
    not use them: half the columns of this query).
    """
    stmt = select(Category).where(Category.code == code)
    if lead_unit:
        stmt = stmt.options(joinedload(Category.parent))
    else:
        stmt = stmt.options(
            lazyload(Category.default_lead_unit),
            joinedload(Category.parent).lazyload(Category.default_lead_unit),
        )
    return db.session.scalar(stmt)


def list_categories(*, include_inactive: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    return list(db.session.scalars(stmt))
