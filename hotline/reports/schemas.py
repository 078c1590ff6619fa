"""What the reports API and pages accept (query strings parsed by hand: every mistake is a
400 naming the field, in Chinese too) and return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import BaseModel, Field

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import BadRequest, InvalidInput, NotFound
from ..core.validation import Code, Line, QuerySchema, Schema, Text, parse_int
from ..units import queries as unit_queries
from ..units.models import LEVEL_LABELS, Level
from . import permissions
from .models import EXEMPTION_STATUS_LABELS, ExemptionStatus
from .periods import Period, from_args

FILTER_FIELDS = ("month", "from", "to", "level", "unit", "category", "area")
MAX_PARAM = 64


@dataclass
class Filters:
    period: Period
    level: str | None = None
    unit: Any = None  # Unit
    category: Any = None  # Category
    area: Any = None  # Unit (district or town)

    @property
    def category_id(self):
        return self.category.id if self.category is not None else None

    @property
    def area_unit_id(self):
        return self.area.id if self.area is not None else None

    def query_args(self, **extra) -> dict:
        """The filters as a link's query string (the period, level, unit, category, area)."""
        args = dict(self.period.query_args())
        if self.level:
            args["level"] = self.level
        if self.unit is not None:
            args["unit"] = self.unit.code
        if self.category is not None:
            args["category"] = self.category.code
        if self.area is not None:
            args["area"] = self.area.code
        args.update({k: v for k, v in extra.items() if v is not None})
        return args


def arg(args, name: str) -> str | None:
    """One query parameter: NUL bytes and over-long values are a 400 naming it."""
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]
    values = [v for v in values if v is not None]
    if len(values) > 1:
        raise BadRequest(f"{name} is given twice.", message_zh="参数重复。", field=name)
    value = values[0].strip() if values else None
    if value is not None and ("\x00" in value or len(value) > MAX_PARAM):
        raise BadRequest(f"{name} is not valid.", message_zh="参数含有非法字符或过长。", field=name)
    return value or None


def parse_filters(args, *, user, now: datetime | None = None, unit_required: bool = False) -> Filters:
    """The period and filters a request asks for; a unit's staff always get their own unit."""
    now = now or clock.now()
    values = {name: arg(args, name) for name in FILTER_FIELDS}
    period = from_args({k: values[k] for k in ("month", "from", "to")}, now=now, tz_name=_zone_name())
    level = values["level"]
    if level is not None and level not in {m.value for m in Level}:
        raise InvalidInput(f"Unknown level {level!r}.", message_zh="层级应为市级、区级或镇街。", field="level")
    unit = None
    if values["unit"] is not None:
        unit = unit_queries.get_by_code(values["unit"])
        if unit is None:
            raise InvalidInput(f"Unknown unit {values['unit']!r}.", message_zh="单位不存在。", field="unit")
        if not permissions.can_view_unit_figures(user, unit):
            raise NotFound(f"No unit {unit.code}.", message_zh="单位不存在或无权查看。")
    elif permissions.is_unit_staff(user) and not permissions.can_view_all_figures(user):
        unit = user.unit
    elif unit_required:
        raise InvalidInput("Give the unit.", message_zh="请指定单位。", field="unit")
    category = None
    if values["category"] is not None:
        category = category_queries.get_by_code(values["category"])
        if category is None:
            raise InvalidInput("Unknown category.", message_zh="诉求分类不存在。", field="category")
    area = None
    if values["area"] is not None:
        area = unit_queries.get_by_code(values["area"])
        if area is None or area.level not in (Level.DISTRICT, Level.TOWN):
            raise InvalidInput("Unknown area: give a district or town.", message_zh="区域应为区或镇街。", field="area")
    return Filters(period=period, level=level, unit=unit, category=category, area=area)


def _zone_name() -> str:
    return current_app.config.get("TIMEZONE", "Asia/Shanghai")


def page_args(args, *, default: int = 50, maximum: int = 200) -> tuple[int, int]:
    out = []
    for name, fallback, top in (("page", 1, 100000), ("per_page", default, maximum)):
        value = arg(args, name)
        if value is None:
            out.append(fallback)
            continue
        number = parse_int(value, minimum=1, maximum=top)
        if number is None:
            raise InvalidInput(
                f"{name} must be 1 to {top}.", message_zh=f"页码参数应为 1 到 {top} 的整数。", field=name
            )
        out.append(number)
    return out[0], out[1]


def period_out(period: Period) -> dict:
    return {
        "label": period.label,
        "kind": period.kind,
        "month": period.month,
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


# --- documentation of the query strings (parsed by parse_filters) ----------------------


# Typed as parse_filters and page_args read them, so that the OpenAPI document is exact.
# Empty values are read as not given (the pages' forms send empty fields), so the patterns allow them.
Month = Annotated[str, Field(pattern=r"^((19|20)[0-9]{2}-(0[1-9]|1[0-2]))?$")]
LocalDate = Annotated[str, Field(pattern=r"^((19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$")]
ParamCode = Annotated[str, Field(max_length=MAX_PARAM, pattern=r"^[A-Za-z0-9_.-]*$")]
Page = Annotated[int, Field(ge=1, le=100000)]
PerPage = Annotated[int, Field(ge=1, le=200)]


class FiguresQuery(QuerySchema):
    month: Month | None = Field(None, description="YYYY-MM in the centre's zone (default: this month)")
    from_: LocalDate | None = Field(None, alias="from", description="first local date YYYY-MM-DD (with to)")
    to: LocalDate | None = Field(None, description="last local date YYYY-MM-DD, inclusive")
    level: Literal["city", "district", "town"] | None = Field(None, description="city departments, districts, towns")
    unit: ParamCode | None = Field(None, description="one unit's code (unit staff: always their own)")
    category: ParamCode | None = Field(None, description="a category code (its subcategories included)")
    area: ParamCode | None = Field(None, description="a district or town code (the towns under a district included)")


class RankingQuery(FiguresQuery):
    group: Literal["city", "local"] | None = Field(None, description="city departments, or districts and towns")


class TicketsQuery(FiguresQuery):
    figure: ParamCode = Field(description="a figure or rate key, e.g. replied_on_time_rate")
    part: Literal["numerator", "denominator"] | None = Field(None, description="for a rate (default numerator)")
    page: Page | None = None
    per_page: PerPage | None = Field(None, description="1-200, default 50")


class ExemptionListQuery(QuerySchema):
    status: Literal["pending", "approved", "refused"] | None = None
    unit: ParamCode | None = None
    ticket: Annotated[str, Field(max_length=MAX_PARAM)] | None = None
    page: Page | None = None
    per_page: PerPage | None = None


# --- outputs ---------------------------------------------------------------------------


class FiguresOut(BaseModel):
    period: dict[str, Any]
    scheme: dict[str, Any]
    units: list[dict[str, Any]] = Field(description="one row per unit: counts, rates (0..1 or null), score, rank")
    total: dict[str, Any] | None = Field(description="the level or the whole city as one row (supervisors, admins)")


class CentreOut(BaseModel):
    period: dict[str, Any]
    centre: dict[str, Any]


class RankingOut(BaseModel):
    period: dict[str, Any]
    scheme: dict[str, Any]
    groups: dict[str, list[dict[str, Any]]]


class DrillTicketOut(BaseModel):
    number: str
    status: str
    status_label: str
    request_type_label: str
    category: str | None
    area: str | None
    lead_unit: str | None
    created_at: str
    reply_due_at: str | None


class DrillOut(BaseModel):
    figure: str
    part: str
    label: str
    period: dict[str, Any]
    unit: str | None
    count: int
    page: int
    per_page: int
    items: list[DrillTicketOut]


class DefinitionOut(BaseModel):
    key: str
    name: str
    text: str


class DefinitionsOut(BaseModel):
    general: str
    rules: list[str] = Field(description="how reopened, extended, returned, merged and exempted tickets count")
    items: list[DefinitionOut]


class ReasonIn(Schema):
    code: Code
    name: Line(100)
    description: Text(500) | None = None
    is_active: bool = True
    sort_order: int = Field(0, ge=0, le=100000)


class ReasonPatchIn(Schema):
    name: Line(100) | None = None
    description: Text(500) | None = None
    is_active: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=100000)


class ReasonOut(BaseModel):
    code: str
    name: str
    description: str | None
    is_active: bool
    sort_order: int


class ReasonListOut(BaseModel):
    items: list[ReasonOut]


def reason_out(r) -> ReasonOut:
    return ReasonOut(
        code=r.code, name=r.name, description=r.description, is_active=r.is_active, sort_order=r.sort_order
    )


class ExemptionIn(Schema):
    ticket: Line(32)
    reason: Code
    note: Text(2000)


class DecisionIn(Schema):
    approve: bool
    note: Text(2000) | None = None


class ExemptionOut(BaseModel):
    id: int
    ticket: str
    unit: str
    unit_name: str
    reason: str
    reason_name: str
    note: str
    status: str
    status_label: str
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None


class ExemptionListOut(BaseModel):
    items: list[ExemptionOut]
    total: int
    page: int
    per_page: int


def exemption_out(x) -> ExemptionOut:
    return ExemptionOut(
        id=x.id,
        ticket=x.ticket.number,
        unit=x.unit.code,
        unit_name=x.unit.name,
        reason=x.reason.code,
        reason_name=x.reason.name,
        note=x.note,
        status=x.status,
        status_label=EXEMPTION_STATUS_LABELS[ExemptionStatus(x.status)],
        requested_by=x.requested_by.display_name,
        requested_at=clock.isoformat(x.requested_at),
        decided_by=x.decided_by.display_name if x.decided_by else None,
        decided_at=clock.isoformat(x.decided_at),
        decision_note=x.decision_note,
    )


class SchemeIn(Schema):
    name: Line(100) | None = None
    weight_on_time: float | None = Field(None, ge=0, le=100)
    weight_satisfaction: float | None = Field(None, ge=0, le=100)
    weight_resolution: float | None = Field(None, ge=0, le=100)
    weight_accepted: float | None = Field(None, ge=0, le=100)
    yellow_card_penalty: float | None = Field(None, ge=0, le=100)
    red_card_penalty: float | None = Field(None, ge=0, le=100)
    note: Text(500) | None = None


class SchemeOut(BaseModel):
    version: int
    name: str
    weight_on_time: float
    weight_satisfaction: float
    weight_resolution: float
    weight_accepted: float
    yellow_card_penalty: float
    red_card_penalty: float
    created_at: str | None


class SchemeListOut(BaseModel):
    active: SchemeOut
    default: SchemeOut
    versions: list[SchemeOut]


def scheme_out(s) -> SchemeOut:
    return SchemeOut(
        version=s.version,
        name=s.name,
        weight_on_time=s.weight_on_time,
        weight_satisfaction=s.weight_satisfaction,
        weight_resolution=s.weight_resolution,
        weight_accepted=s.weight_accepted,
        yellow_card_penalty=s.yellow_card_penalty,
        red_card_penalty=s.red_card_penalty,
        created_at=clock.isoformat(s.created_at) if s.created_at else None,
    )


LEVEL_CHOICES = {k.value: v for k, v in LEVEL_LABELS.items()}
