"""Callers' history by phone number: /api/v1/callers/... (the number in the body, never the URL).

Every lookup is recorded in the audit trail (who, when, which number), and supervisors and
admins can list who looked a number up.
"""

from __future__ import annotations

from flask import Blueprint

from ..accounts import permissions as account_permissions
from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok
from ..api.openapi import doc
from ..callers import queries as caller_queries
from ..callers import services as caller_services
from ..core import clock
from ..extensions import db
from . import permissions, queries, schemas

bp = Blueprint("callers_api", __name__, url_prefix="/api/v1")
TAGS = ["callers"]


@bp.post("/callers/lookup")
@doc(
    summary="A caller's tickets, found by phone number (any format, in the body); the lookup is audited",
    tags=TAGS,
    body=schemas.CallerLookupIn,
    response=schemas.CallerTicketsOut,
    roles="operator, dispatcher, supervisor, admin",
)
@token_required
def caller_tickets():
    user = actor()
    require(permissions.can_lookup_caller(user), "Your role may not look up callers.", "您的角色无权查询来电人。")
    data = body(schemas.CallerLookupIn)
    now = clock.now()
    caller = caller_services.look_up(data.phone, actor=user, now=now)
    if caller is None:
        out = schemas.CallerTicketsOut(caller=None, items=[], total=0)
    else:
        page = queries.search(user, caller_id=caller.id, page=1, per_page=100)
        out = schemas.CallerTicketsOut(
            caller=schemas.CallerOut(phone=caller.phone, name=caller.name),
            items=[schemas.ticket_out(t, user, now) for t in page.items],
            total=page.total,
        )
    db.session.commit()
    return ok(out)


@bp.post("/callers/lookups")
@doc(
    summary="Who looked this caller's history up, and when (newest first, at most 200)",
    tags=TAGS,
    body=schemas.CallerLookupIn,
    response=schemas.CallerLookupsOut,
    roles="supervisor, admin",
)
@token_required
def caller_lookups():
    user = actor()
    require(
        account_permissions.can_view_caller_lookups(user),
        "Only supervisors and admins see who looked a caller up.",
        "只有督办人员和系统管理员可以查看来电人查询记录。",
    )
    data = body(schemas.CallerLookupIn)
    return ok(lookups_out(data.phone))


def lookups_out(phone: str) -> schemas.CallerLookupsOut:
    """Who looked ``phone`` (normalised) up: the API's answer and the page's table."""
    rows, total = caller_queries.lookups(phone, per_page=200)
    return schemas.CallerLookupsOut(
        phone=phone,
        items=[
            schemas.CallerLookupOut(
                at=clock.isoformat(event.at),
                actor=who.username if who else None,
                actor_name=who.display_name if who else None,
                actor_role=event.actor_role,
                found=bool((event.data or {}).get("caller_id")),
            )
            for event, who in rows
        ],
        total=total,
    )
