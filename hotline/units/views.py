"""Units API: /api/v1/units."""

from __future__ import annotations

from flask import Blueprint

from ..accounts import permissions
from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok, query
from ..api.openapi import doc
from ..core import clock
from ..core.errors import NotFound
from ..extensions import db
from . import queries, schemas, services

bp = Blueprint("units_api", __name__, url_prefix="/api/v1/units")
TAGS = ["units"]


@bp.get("")
@doc(
    summary="List member units",
    tags=TAGS,
    query=schemas.UnitListQuery,
    response=schemas.UnitListOut,
    roles="every signed-in user",
)
@token_required
def list_units():
    user = actor()
    require(permissions.can_view_directory(user))
    params = query(schemas.UnitListQuery)
    include_inactive = params.include_inactive and permissions.can_manage_units(user)
    units = queries.list_units(include_inactive=include_inactive, level=params.level)
    return ok(schemas.UnitListOut(items=[schemas.unit_out(u) for u in units]))


@bp.post("")
@doc(summary="Create a unit", tags=TAGS, body=schemas.UnitCreateIn, response=schemas.UnitOut, status=201, roles="admin")
@token_required
def create_unit():
    user = actor()
    require(permissions.can_manage_units(user), "Only admins manage units.", "只有系统管理员可以管理单位。")
    data = body(schemas.UnitCreateIn)
    unit = services.create_unit(
        actor=user,
        now=clock.now(),
        code=data.code,
        name=data.name,
        level=data.level,
        parent_code=data.parent,
        contact_phone=data.contact_phone,
    )
    db.session.commit()
    return ok(schemas.unit_out(unit), 201)


@bp.patch("/<code>")
@doc(
    summary="Change a unit (name, parent, contact phone, active)",
    tags=TAGS,
    body=schemas.UnitUpdateIn,
    response=schemas.UnitOut,
    roles="admin",
)
@token_required
def update_unit(code):
    user = actor()
    require(permissions.can_manage_units(user), "Only admins manage units.", "只有系统管理员可以管理单位。")
    unit = queries.get_by_code(code)
    if unit is None:
        raise NotFound(f"No unit {code}.", message_zh="单位不存在。")
    data = body(schemas.UnitUpdateIn)
    services.update_unit(unit, actor=user, now=clock.now(), changes=changes(data, nullable=("parent", "contact_phone")))
    db.session.commit()
    return ok(schemas.unit_out(unit))
