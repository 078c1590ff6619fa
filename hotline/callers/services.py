from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..core.db import upsert_insert
from ..extensions import db
from .models import Caller


def find_or_create(phone: str, *, name: str | None, now: datetime) -> Caller:
    """The caller with this normalised number, created if new; safe under concurrency.

    One statement for a new caller (the INSERT returns the row), two for a known one
    (the INSERT does nothing and returns nothing, then the row is read).
    """
    stmt = (
        upsert_insert(Caller)
        .values(phone=phone, name=name, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["phone"])
        .returning(Caller)
    )
    caller = db.session.scalars(stmt).one_or_none()
    if caller is not None:
        return caller
    caller = db.session.scalar(select(Caller).where(Caller.phone == phone))
    if name and caller.name != name:
        caller.name = name
        caller.updated_at = now
    return caller
