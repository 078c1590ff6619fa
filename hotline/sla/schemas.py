"""What the deadline API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..core import clock
from ..core.validation import Line, QuerySchema, Schema
from ..core.vocabulary import RequestType, Urgency
from . import explain
from .arithmetic import CLOCK_MODES
from .models import ANY, DEADLINE_KIND_LABELS, STOP_REASON_LABELS, DeadlineKind, StopReason

RequestTypeOrAny = Literal[(ANY, *(m.value for m in RequestType))]  # type: ignore[valid-type]
UrgencyOrAny = Literal[(ANY, *(m.value for m in Urgency))]  # type: ignore[valid-type]
ClockMode = Literal[CLOCK_MODES]  # type: ignore[valid-type]


# --- deadlines, shown with every ticket -----------------------------------------------


class DeadlineRecordOut(BaseModel):
    kind: str
    point_at: str
    recorded_at: str


class DeadlineOut(BaseModel):
    kind: str = Field(description="accept, reply or rectification")
    kind_label: str
    sequence: int
    unit: str | None
    unit_name: str | None = None
    started_at: str
    due_at: str
    warn_at: str | None
    red_at: str | None
    hours: float | None = Field(description="the allowance on the deadline's clock, before extensions")
    extension_hours: float
    policy: dict[str, Any]
    calendar: dict[str, Any]
    explanation: str
    is_open: bool
    stopped_at: str | None
    stop_reason: str | None
    stop_reason_label: str | None
    records: list[DeadlineRecordOut]


def deadline_out(deadline, iso=None) -> DeadlineOut:
    iso = iso or clock.isoformatter()
    return DeadlineOut(
        kind=deadline.kind,
        kind_label=DEADLINE_KIND_LABELS[DeadlineKind(deadline.kind)],
        sequence=deadline.sequence,
        unit=deadline.unit.code if deadline.unit else None,
        unit_name=deadline.unit.name if deadline.unit else None,
        started_at=iso(deadline.started_at),
        due_at=iso(deadline.due_at),
        warn_at=iso(deadline.warn_at),
        red_at=iso(deadline.red_at),
        hours=deadline.base_hours,
        extension_hours=deadline.extension_hours or 0,
        policy=deadline.policy or {},
        calendar=deadline.calendar or {},
        explanation=explain.explanation(deadline),
        is_open=deadline.stopped_at is None,
        stopped_at=iso(deadline.stopped_at),
        stop_reason=deadline.stop_reason,
        stop_reason_label=STOP_REASON_LABELS[StopReason(deadline.stop_reason)] if deadline.stop_reason else None,
        records=[
            DeadlineRecordOut(kind=r.kind, point_at=iso(r.point_at), recorded_at=iso(r.recorded_at))
            for r in deadline.records
        ],
    )


# --- policies -------------------------------------------------------------------------


class PolicyIn(Schema):
    name: Line(100)
    request_type: RequestTypeOrAny = ANY
    urgency: UrgencyOrAny = ANY
    accept_hours: float | None = Field(default=None, gt=0, le=720)
    reply_hours: float = Field(gt=0, le=720)
    warn_ratio: float | None = Field(default=0.8, gt=0, lt=1)
    red_ratio: float | None = Field(default=2.0, gt=1, le=10)
    clock_mode: ClockMode = "natural"
    working_hours: Line(64) = "08:30-12:00,14:00-18:00"
    is_active: bool = True


class PolicyPatchIn(Schema):
    name: Line(100) | None = None
    request_type: RequestTypeOrAny | None = None
    urgency: UrgencyOrAny | None = None
    accept_hours: float | None = Field(default=None, gt=0, le=720)
    reply_hours: float | None = Field(default=None, gt=0, le=720)
    warn_ratio: float | None = Field(default=None, gt=0, lt=1)
    red_ratio: float | None = Field(default=None, gt=1, le=10)
    clock_mode: ClockMode | None = None
    working_hours: Line(64) | None = None
    is_active: bool | None = None


# Fields a PATCH may set to null (switch the point off).
POLICY_NULLABLE = ("accept_hours", "warn_ratio", "red_ratio")


class PolicyOut(BaseModel):
    id: int
    name: str
    request_type: str
    urgency: str
    accept_hours: float | None
    reply_hours: float
    warn_ratio: float | None
    red_ratio: float | None
    clock_mode: str
    working_hours: str
    is_active: bool
    version: int
    updated_at: str


class PolicyListOut(BaseModel):
    items: list[PolicyOut]
    default: dict[str, Any] = Field(description="the built-in terms used when no policy matches")


def policy_out(p) -> PolicyOut:
    return PolicyOut(
        id=p.id,
        name=p.name,
        request_type=p.request_type,
        urgency=p.urgency,
        accept_hours=p.accept_hours,
        reply_hours=p.reply_hours,
        warn_ratio=p.warn_ratio,
        red_ratio=p.red_ratio,
        clock_mode=p.clock_mode,
        working_hours=p.working_hours,
        is_active=p.is_active,
        version=p.version,
        updated_at=clock.isoformat(p.updated_at),
    )


# --- calendar -------------------------------------------------------------------------


class CalendarDayIn(Schema):
    date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] = Field(description="YYYY-MM-DD")
    is_working: bool = Field(description="false: a holiday (day off); true: a working day (e.g. an adjusted weekend)")
    note: Line(100) | None = None

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        parse_day(value)
        return value

    @property
    def day(self) -> dt.date:
        return parse_day(self.date)


def parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date (YYYY-MM-DD)") from None
    if not 2000 <= day.year <= 2100:
        raise ValueError("the year must be between 2000 and 2100")
    return day


class CalendarDaysQuery(QuerySchema):
    year: int | None = Field(default=None, ge=2000, le=2100)


class CalendarDayOut(BaseModel):
    date: str
    is_working: bool
    note: str | None


class CalendarDayListOut(BaseModel):
    items: list[CalendarDayOut]


def calendar_day_out(d) -> CalendarDayOut:
    return CalendarDayOut(date=d.day.isoformat(), is_working=d.is_working, note=d.note)


class CalendarWarningOut(BaseModel):
    year: int
    message: str
    first_seen_at: str
    resolved: bool = Field(description="true once the year is known (package or admin-entered dates)")


class CalendarWarningListOut(BaseModel):
    items: list[CalendarWarningOut]
