from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Caller


def get_by_phone(phone: str) -> Caller | None:
    return db.session.scalar(select(Caller).where(Caller.phone == phone))
