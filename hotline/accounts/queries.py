from __future__ import annotations

from sqlalchemy import select

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
