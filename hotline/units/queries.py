from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Unit


def get_by_code(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def list_units(*, include_inactive: bool = False, level: str | None = None) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.code)
    if not include_inactive:
        stmt = stmt.where(Unit.is_active.is_(True))
    if level:
        stmt = stmt.where(Unit.level == level)
    return list(db.session.scalars(stmt))


def by_codes(codes: list[str]) -> dict[str, Unit]:
    if not codes:
        return {}
    return {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
