from __future__ import annotations

from datetime import datetime

from ..audit.services import record
from ..core.errors import Conflict, InvalidInput
from ..extensions import db
from . import queries
from .models import LEVEL_RANK, Level, Unit


def _parent_for(level: str, parent_code: str | None) -> Unit | None:
    if not parent_code:
        if level != Level.CITY:
            raise InvalidInput(
                "A district or town unit needs a parent unit.",
                message_zh="区级、镇街单位必须指定上级单位。",
                field="parent",
            )
        return None
    parent = queries.get_by_code(parent_code)
    if parent is None:
        raise InvalidInput(f"Unknown unit {parent_code!r}.", message_zh="上级单位不存在。", field="parent")
    if LEVEL_RANK[Level(parent.level)] > LEVEL_RANK[Level(level)]:
        raise InvalidInput(
            "A unit's parent must be at its level or above (city → district → town).",
            message_zh="上级单位的层级不能低于本单位。",
            field="parent",
        )
    return parent


def create_unit(
    *,
    actor,
    now: datetime,
    code: str,
    name: str,
    level: str,
    parent_code: str | None = None,
    contact_phone: str | None = None,
) -> Unit:
    if queries.get_by_code(code) is not None:
        raise Conflict(
            f"Unit code {code!r} is already used.", message_zh="单位编码已存在。", field="code", code="duplicate"
        )
    parent = _parent_for(level, parent_code)
    unit = Unit(
        code=code,
        name=name,
        level=level,
        parent=parent,
        contact_phone=contact_phone,
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(unit)
    db.session.flush()
    record(
        actor=actor,
        action="unit.create",
        object_type="unit",
        object_id=code,
        now=now,
        data={"name": name, "level": level, "parent": parent_code},
    )
    return unit


def update_unit(unit: Unit, *, actor, now: datetime, changes: dict) -> Unit:
    before = {}
    if "parent" in changes:
        parent = _parent_for(unit.level, changes["parent"])
        if parent is not None and _is_descendant(parent, unit):
            raise InvalidInput(
                "A unit cannot be placed under itself or its own sub-unit.",
                message_zh="不能把单位设为自己或下级单位的下级。",
                field="parent",
            )
        before["parent"] = unit.parent.code if unit.parent else None
        unit.parent = parent
    for field in ("name", "contact_phone", "is_active"):
        if field in changes:
            before[field] = getattr(unit, field)
            setattr(unit, field, changes[field])
    unit.updated_at = now
    db.session.flush()
    record(
        actor=actor,
        action="unit.update",
        object_type="unit",
        object_id=unit.code,
        now=now,
        data={"before": before, "after": changes},
    )
    return unit


def _is_descendant(candidate: Unit, unit: Unit) -> bool:
    node = candidate
    seen = set()
    while node is not None and node.id not in seen:
        if node.id == unit.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False
