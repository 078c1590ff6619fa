from __future__ import annotations

from pydantic import BaseModel, Field

from ..core.validation import Code, Line, QuerySchema, Schema


class CategoryCreateIn(Schema):
    code: Code
    name: Line(100)
    parent: Code | None = None
    default_lead_unit: Code | None = None
    sort_order: int = Field(default=0, ge=0, le=100000)


class CategoryUpdateIn(Schema):
    name: Line(100) | None = None
    default_lead_unit: Code | None = None
    is_active: bool | None = None
    sort_order: int | None = Field(default=None, ge=0, le=100000)


class CategoryListQuery(QuerySchema):
    include_inactive: bool = False


class CategoryOut(BaseModel):
    code: str
    name: str
    full_name: str
    parent: str | None
    default_lead_unit: str | None
    is_active: bool


class CategoryListOut(BaseModel):
    items: list[CategoryOut]


class RequestTypeOut(BaseModel):
    code: str
    name: str


class RequestTypeListOut(BaseModel):
    items: list[RequestTypeOut]


def category_out(c) -> CategoryOut:
    return CategoryOut(
        code=c.code,
        name=c.name,
        full_name=c.full_name,
        parent=c.parent.code if c.parent else None,
        default_lead_unit=c.default_lead_unit.code if c.default_lead_unit else None,
        is_active=c.is_active,
    )
