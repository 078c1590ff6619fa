from __future__ import annotations

from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from .models import AuditEvent


def search(*, object_type=None, object_id=None, actor=None, action=None, page=1, per_page=50):
    stmt = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if actor:
        stmt = stmt.where(User.username == actor)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total
