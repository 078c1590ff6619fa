from __future__ import annotations

from datetime import datetime

from ..extensions import db
from .models import AuditEvent


def record(*, actor, action: str, object_type: str, object_id, now: datetime, data: dict | None = None):
    """Append an audit event in the caller's transaction."""
    event = AuditEvent(
        at=now,
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=data or {},
    )
    db.session.add(event)
    return event
