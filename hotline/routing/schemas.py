from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.validation import Code, Line, Schema, Text
from ..tickets.schemas import MAX_CONTENT, MAX_NOTE


class SuggestIn(Schema):
    content: Text(MAX_CONTENT)
    area: Code | None = None
    # The category the operator chose (optional): it then weighs half in the units' ranking.
    category: Code | None = None


class CategorySuggestionOut(BaseModel):
    code: str
    name: str
    score: float


class UnitSuggestionOut(BaseModel):
    code: str
    name: str
    score: float
    source: str  # "history", "catalogue" or "history+catalogue"


class SuggestOut(BaseModel):
    categories: list[CategorySuggestionOut]
    units: list[UnitSuggestionOut]


def suggest_out(found) -> SuggestOut:
    return SuggestOut(
        categories=[CategorySuggestionOut(code=c.code, name=c.name, score=c.score) for c in found.categories],
        units=[UnitSuggestionOut(code=u.code, name=u.name, score=u.score, source=u.source) for u in found.units],
    )


class CatalogueRuleIn(Schema):
    """A catalogue rule as the admin page submits it (dates as YYYY-MM-DD)."""

    category: Code
    area: Code | None = None
    keywords: Line(200) | None = None
    lead_unit: Code
    assist_units: list[Code] = Field(default_factory=list, max_length=20)
    basis: Text(2000)
    effective_from: date
    effective_to: date | None = None
    is_active: bool = True

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class SimilarTicketOut(BaseModel):
    number: str
    status: str
    category: str
    area: str | None
    created_at: str
    content: str  # the first 200 characters
    score: float


class SimilarListOut(BaseModel):
    items: list[SimilarTicketOut]


def similar_out(found) -> SimilarListOut:
    from ..core import clock

    return SimilarListOut(
        items=[
            SimilarTicketOut(
                number=s.ticket.number,
                status=s.ticket.status,
                category=s.ticket.category.code,
                area=s.ticket.area_unit.code if s.ticket.area_unit is not None else None,
                created_at=clock.isoformat(s.ticket.created_at),
                content=s.ticket.content[:200],
                score=s.score,
            )
            for s in found
        ]
    )


class DispatchGroupIn(Schema):
    members: list[Line(32)] = Field(default_factory=list, max_length=50)
    lead_unit: Code
    assist_units: list[Code] = Field(default_factory=list, max_length=20)
    note: Text(MAX_NOTE) | None = None


class DispatchGroupOut(BaseModel):
    dispatched: list[str]  # the head first, then the members in the order given
    lead_unit: str
    assist_units: list[str]


class ReplyCheckIn(Schema):
    content: Text(MAX_CONTENT)


class ReplyCheckIssueOut(BaseModel):
    code: str
    label: str
    message: str


class ReplyCheckOut(BaseModel):
    on_topic: float = Field(ge=0, le=1)
    mode: Literal["warn", "block"]
    issues: list[ReplyCheckIssueOut]
