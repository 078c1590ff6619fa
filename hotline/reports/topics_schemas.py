"""What the hot-topics and spikes API accepts and returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ..core.validation import Code, QuerySchema

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class HotTopicsQuery(QuerySchema):
    month: str | None = Field(default=None, pattern=MONTH, description="YYYY-MM in the centre's time zone")
    from_: date | None = Field(default=None, alias="from", description="first day (YYYY-MM-DD), with `to`")
    to: date | None = Field(default=None, description="last day, included (YYYY-MM-DD)")
    category: Code | None = Field(default=None, description="category code")
    area: Code | None = Field(default=None, description="area (district or town) unit code")
    limit: int = Field(default=10, ge=1, le=50)


class SpikesQuery(QuerySchema):
    area: Code | None = Field(default=None, description="area (district or town) unit code")


class Named(BaseModel):
    code: str
    name: str


class NamedCount(Named):
    count: int


class HotTopicOut(BaseModel):
    label: str
    keywords: list[str]
    count: int = Field(description="tickets of the topic in the period")
    callers: int = Field(description="distinct callers among them")
    previous: int = Field(description="tickets of the previous period given to the same topic")
    change: int = Field(description="count - previous")
    areas: list[NamedCount]
    categories: list[NamedCount]
    tickets: list[str] = Field(description="ticket numbers, newest first, at most 50")


class HotTopicsOut(BaseModel):
    period: dict[str, str]
    topics: list[HotTopicOut]


class SpikeOut(BaseModel):
    id: int
    label: str
    keywords: list[str]
    count: int = Field(description="distinct callers in the window")
    tickets_count: int
    baseline: float = Field(description="callers expected in the window (usual level)")
    scope: str = Field(description="area or category")
    area: Named | None
    category: Named | None
    first_at: datetime
    last_at: datetime
    detected_at: datetime
    closed_at: datetime | None
    tickets: list[str]


class SpikesOut(BaseModel):
    spikes: list[SpikeOut]
