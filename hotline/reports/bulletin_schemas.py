"""What the bulletins' API accepts and returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core import clock
from ..core.validation import QuerySchema, Schema, Text


class FormatQuery(QuerySchema):
    format: Literal["json", "xlsx", "html"] = Field(
        "json", description="json (the document), xlsx (Excel, one sheet per table) or html (a standalone A4 page)"
    )


class CorrectionIn(Schema):
    note: Text(500) | None = Field(None, description="why the figures are checked again (optional)")


class CorrectionOut(BaseModel):
    id: int
    recorded_at: str
    recorded_by: str | None
    note: str | None
    changes: list[dict[str, Any]] = Field(
        description='[{"scope", "code", "name", "key", "label", "kind", "was", "now"}]: each figure that changed'
    )


class CorrectionResultOut(BaseModel):
    correction: CorrectionOut | None = Field(description="the correction recorded, or null when nothing changed")


class CorrectionListOut(BaseModel):
    month: str
    items: list[CorrectionOut]


class BulletinSummaryOut(BaseModel):
    month: str
    title: str
    published_at: str
    published_by: str | None
    corrections: int


class BulletinListOut(BaseModel):
    items: list[BulletinSummaryOut]


class BulletinDocumentOut(BaseModel):
    """The bulletin's document (see hotline/reports/monthly.py for every key)."""

    model_config = ConfigDict(extra="allow")

    month: str
    published: bool
    units: list[dict[str, Any]]
    centre: dict[str, Any]
    hot_topics: list[dict[str, Any]]
    spikes: list[dict[str, Any]]


def summary_out(bulletin) -> BulletinSummaryOut:
    return BulletinSummaryOut(
        month=bulletin.month,
        title=bulletin.title,
        published_at=clock.isoformat(bulletin.published_at),
        published_by=bulletin.published_by.display_name if bulletin.published_by else None,
        corrections=len(bulletin.corrections),
    )
