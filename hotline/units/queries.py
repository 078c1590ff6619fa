from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from ..core.db import escape_like
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


def by_codes(codes: list[str], *, ids=()) -> dict[str, Unit]:
    """The units of these codes, and of these ids, by code, in one statement (their parent
    units not joined: read on access)."""
    if not codes and not ids:
        return {}
    wanted = Unit.code.in_(codes) if not ids else or_(Unit.code.in_(codes), Unit.id.in_(ids))
    return {u.code: u for u in db.session.scalars(select(Unit).options(lazyload(Unit.parent)).where(wanted))}


def search_units(*, q: str | None = None, level: str | None = None, active: bool | None = None) -> list[Unit]:
    """The admins' unit list: name or code containing ``q``, by level and state (every unit
    otherwise, disabled ones included)."""
    stmt = select(Unit).order_by(Unit.code)
    if q:
        pattern = f"%{escape_like(q)}%"
        stmt = stmt.where(Unit.name.like(pattern, escape="\\") | Unit.code.ilike(pattern, escape="\\"))
    if level:
        stmt = stmt.where(Unit.level == level)
    if active is not None:
        stmt = stmt.where(Unit.is_active.is_(active))
    return list(db.session.scalars(stmt))
