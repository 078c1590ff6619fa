from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..core.validation import Line, QuerySchema


class AuditQuery(QuerySchema):
    object_type: Line(64) | None = None
    object_id: Line(128) | None = None
    actor: Line(64) | None = Field(default=None, description="username")
    action: Line(64) | None = None
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=50, ge=1, le=200)


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: str | None
    data: dict[str, Any]


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    page: int
    per_page: int
    total: int
