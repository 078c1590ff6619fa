"""The audit trail: /api/v1/audit-events (admins and supervisors)."""

from __future__ import annotations

from flask import Blueprint

from ..accounts import permissions
from ..api.auth import actor, require, token_required
from ..api.helpers import ok, query
from ..api.openapi import doc
from ..core import clock
from . import queries, schemas

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")


@bp.get("/audit-events")
@doc(
    summary="The audit trail of administrative changes and sign-ins, newest first",
    tags=["audit"],
    query=schemas.AuditQuery,
    response=schemas.AuditPageOut,
    roles="admin, supervisor",
)
@token_required
def list_audit_events():
    require(
        permissions.can_view_audit(actor()),
        "Only admins and supervisors read the audit trail.",
        "只有系统管理员和督办人员可以查看审计记录。",
    )
    params = query(schemas.AuditQuery)
    rows, total = queries.search(
        object_type=params.object_type,
        object_id=params.object_id,
        actor=params.actor,
        action=params.action,
        page=params.page,
        per_page=params.per_page,
    )
    items = [
        schemas.AuditEventOut(
            id=e.id,
            at=clock.isoformat(e.at),
            actor=username,
            actor_role=e.actor_role,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            data=e.data or {},
        )
        for e, username in rows
    ]
    return ok(schemas.AuditPageOut(items=items, page=params.page, per_page=params.per_page, total=total))
