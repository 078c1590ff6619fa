"""Categories and request types: /api/v1/categories, /api/v1/request-types."""

from __future__ import annotations

from flask import Blueprint

from ..accounts import permissions
from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok, query
from ..api.openapi import doc
from ..core import clock
from ..core.errors import NotFound
from ..extensions import db
from ..tickets.models import REQUEST_TYPE_LABELS
from . import queries, schemas, services

bp = Blueprint("categories_api", __name__, url_prefix="/api/v1")
TAGS = ["categories"]


@bp.get("/categories")
@doc(
    summary="List categories (two levels; parent is the code of the top-level category)",
    tags=TAGS,
    query=schemas.CategoryListQuery,
    response=schemas.CategoryListOut,
    roles="every signed-in user",
)
@token_required
def list_categories():
    user = actor()
    require(permissions.can_view_directory(user))
    params = query(schemas.CategoryListQuery)
    include_inactive = params.include_inactive and permissions.can_manage_categories(user)
    return ok(
        schemas.CategoryListOut(
            items=[schemas.category_out(c) for c in queries.list_categories(include_inactive=include_inactive)]
        )
    )


@bp.post("/categories")
@doc(
    summary="Create a category",
    tags=TAGS,
    body=schemas.CategoryCreateIn,
    response=schemas.CategoryOut,
    status=201,
    roles="admin",
)
@token_required
def create_category():
    user = actor()
    require(permissions.can_manage_categories(user), "Only admins manage categories.", "只有系统管理员可以管理分类。")
    data = body(schemas.CategoryCreateIn)
    category = services.create_category(
        actor=user,
        now=clock.now(),
        code=data.code,
        name=data.name,
        parent_code=data.parent,
        default_lead_unit=data.default_lead_unit,
        sort_order=data.sort_order,
    )
    db.session.commit()
    return ok(schemas.category_out(category), 201)


@bp.patch("/categories/<code>")
@doc(summary="Change a category", tags=TAGS, body=schemas.CategoryUpdateIn, response=schemas.CategoryOut, roles="admin")
@token_required
def update_category(code):
    user = actor()
    require(permissions.can_manage_categories(user), "Only admins manage categories.", "只有系统管理员可以管理分类。")
    category = queries.get_by_code(code)
    if category is None:
        raise NotFound(f"No category {code}.", message_zh="分类不存在。")
    data = body(schemas.CategoryUpdateIn)
    services.update_category(
        category, actor=user, now=clock.now(), changes=changes(data, nullable=("default_lead_unit",))
    )
    db.session.commit()
    return ok(schemas.category_out(category))


@bp.get("/request-types")
@doc(
    summary="The six request types (诉求类型)",
    tags=TAGS,
    response=schemas.RequestTypeListOut,
    roles="every signed-in user",
)
@token_required
def list_request_types():
    require(permissions.can_view_directory(actor()))
    return ok(
        schemas.RequestTypeListOut(
            items=[schemas.RequestTypeOut(code=k.value, name=v) for k, v in REQUEST_TYPE_LABELS.items()]
        )
    )
