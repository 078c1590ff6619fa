from __future__ import annotations

from sqlalchemy import func, select

from ..accounts.models import User
from ..audit.models import AuditEvent
from ..extensions import db
from .models import Caller
from .services import LOOKUP_ACTION, LOOKUP_OBJECT


def get_by_phone(phone: str) -> Caller | None:
    return db.session.scalar(select(Caller).where(Caller.phone == phone))


def lookups(phone: str, *, page: int = 1, per_page: int = 50) -> tuple[list[tuple[AuditEvent, User | None]], int]:
    """Who looked up the history of this normalised number, and when: newest first, and the total."""
    where = (
        AuditEvent.object_type == LOOKUP_OBJECT,
        AuditEvent.object_id == phone,
        AuditEvent.action == LOOKUP_ACTION,
    )
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
    rows = db.session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*where)
        .order_by(AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [tuple(r) for r in rows], total
