from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Category


def get_by_code(code: str) -> Category | None:
    # With its parent: a ticket shows the category's full name (parent / child).
    return db.session.scalar(select(Category).options(joinedload(Category.parent)).where(Category.code == code))


def list_categories(*, include_inactive: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    return list(db.session.scalars(stmt))
