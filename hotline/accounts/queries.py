from __future__ import annotations

from sqlalchemy import func, select

from ..core.db import escape_like
from ..extensions import db
from ..units.models import Unit
from .models import User


def get_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def list_users(*, role: str | None = None, unit_code: str | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if unit_code:
        stmt = stmt.join(Unit, User.unit_id == Unit.id).where(Unit.code == unit_code)
    return list(db.session.scalars(stmt).unique())


def search_users(
    *,
    q: str | None = None,
    role: str | None = None,
    unit_code: str | None = None,
    active: bool | None = None,
    page: int | None = None,
    per_page: int = 100,
) -> list[User] | tuple[list[User], int]:
    """The admins' user list: login name or display name containing ``q``, by role, unit, state;
    with ``page``, that page and the total."""
    stmt = select(User).order_by(User.role, User.username)
    if q:
        pattern = f"%{escape_like(q)}%"
        stmt = stmt.where(User.username.ilike(pattern, escape="\\") | User.display_name.ilike(pattern, escape="\\"))
    if role:
        stmt = stmt.where(User.role == role)
    if unit_code:
        stmt = stmt.join(Unit, User.unit_id == Unit.id).where(Unit.code == unit_code)
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    if page is None:
        return list(db.session.scalars(stmt).unique())
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique()
    return list(rows), total
