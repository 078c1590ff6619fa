from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..core.validation import Code, Line, QuerySchema, Schema
from .models import LEVEL_LABELS, Level

LevelName = Literal[tuple(m.value for m in Level)]  # type: ignore[valid-type]


class UnitCreateIn(Schema):
    code: Code
    name: Line(100)
    level: LevelName
    parent: Code | None = None
    contact_phone: Line(32) | None = None


class UnitUpdateIn(Schema):
    name: Line(100) | None = None
    parent: Code | None = None
    contact_phone: Line(32) | None = None
    is_active: bool | None = None


class UnitListQuery(QuerySchema):
    level: LevelName | None = None
    include_inactive: bool = Field(default=False, description="admins: list disabled units too")


class UnitOut(BaseModel):
    code: str
    name: str
    level: str
    level_label: str
    parent: str | None
    contact_phone: str | None
    is_active: bool


class UnitListOut(BaseModel):
    items: list[UnitOut]


def unit_out(unit) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        level_label=LEVEL_LABELS[Level(unit.level)],
        parent=unit.parent.code if unit.parent else None,
        contact_phone=unit.contact_phone,
        is_active=unit.is_active,
    )
