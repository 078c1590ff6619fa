"""Reading the outbox."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..tickets.queries import Page
from .models import Notification


def get(notification_id: int) -> Notification | None:
    return db.session.get(Notification, notification_id)


def outbox(
    *,
    ticket_id: int | None = None,
    status: str | None = None,
    template: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    stmt = select(Notification)
    if ticket_id is not None:
        stmt = stmt.where(Notification.ticket_id == ticket_id)
    if status:
        stmt = stmt.where(Notification.status == status)
    if template:
        stmt = stmt.where(Notification.template_code == template)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(
        db.session.scalars(stmt.order_by(Notification.id.desc()).limit(per_page).offset((page - 1) * per_page))
    )
    return Page(items=items, total=total, page=page, per_page=per_page)
