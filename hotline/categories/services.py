from __future__ import annotations

from datetime import datetime

from ..audit.services import record
from ..core.errors import Conflict, InvalidInput
from ..extensions import db
from ..units import queries as unit_queries
from . import queries
from .models import Category


def _parent(parent_code: str | None) -> Category | None:
    if not parent_code:
        return None
    parent = queries.get_by_code(parent_code)
    if parent is None:
        raise InvalidInput(f"Unknown category {parent_code!r}.", message_zh="上级分类不存在。", field="parent")
    if parent.parent_id is not None:
        raise InvalidInput(
            "Categories have two levels: the parent must be a top-level category.",
            message_zh="分类只有两级：上级分类必须是一级分类。",
            field="parent",
        )
    return parent


def _unit(code: str | None):
    if not code:
        return None
    unit = unit_queries.get_by_code(code)
    if unit is None or not unit.is_active:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="单位不存在或已停用。", field="default_lead_unit")
    return unit


def create_category(
    *,
    actor,
    now: datetime,
    code: str,
    name: str,
    parent_code: str | None = None,
    default_lead_unit: str | None = None,
    sort_order: int = 0,
) -> Category:
    if queries.get_by_code(code) is not None:
        raise Conflict(
            f"Category code {code!r} is already used.", message_zh="分类编码已存在。", field="code", code="duplicate"
        )
    category = Category(
        code=code,
        name=name,
        parent=_parent(parent_code),
        default_lead_unit=_unit(default_lead_unit),
        sort_order=sort_order,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(category)
    db.session.flush()
    record(
        actor=actor,
        action="category.create",
        object_type="category",
        object_id=code,
        now=now,
        data={"name": name, "parent": parent_code, "default_lead_unit": default_lead_unit},
    )
    return category


def update_category(category: Category, *, actor, now: datetime, changes: dict) -> Category:
    if "default_lead_unit" in changes:
        category.default_lead_unit = _unit(changes["default_lead_unit"])
    for field in ("name", "is_active", "sort_order"):
        if field in changes:
            setattr(category, field, changes[field])
    category.updated_at = now
    db.session.flush()
    record(
        actor=actor,
        action="category.update",
        object_type="category",
        object_id=category.code,
        now=now,
        data={"changes": changes},
    )
    return category
