"""The filters and orders every ticket list and work queue shares (pages and exports).

A list is filtered and ordered in SQL and read a page at a time: these functions only build
WHERE and ORDER BY clauses. Filters: date range (the local day the ticket was registered),
urgency, category (with its sub-categories), area (with its towns), unit (leading or
assisting), overdue (an open accept or reply deadline already passed, the dashboard's
definition), status, request type. Orders: newest first (the default), by deadline (the
soonest reply deadline first), by time taken (the longest in the system first), by urgency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import Field, model_validator
from sqlalchemy import case, exists, or_

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import InvalidInput
from ..core.validation import Code, validate
from ..sla.models import Deadline
from ..units import queries as unit_queries
from .models import Ticket, Urgency, ticket_assist_units
from .schemas import TicketListQuery, UrgencyName

SORTS = {
    "newest": "最新登记在前",
    "deadline": "答复期限最近在前",
    "taken": "用时最长在前",
    "urgency": "紧急优先",
}
SortName = Literal[tuple(SORTS)]  # type: ignore[valid-type]

# The Chinese label of each filter, for the message that names a wrong one.
FIELD_LABELS = {
    "status": "状态",
    "unit": "承办单位",
    "type": "诉求类型",
    "q": "搜索",
    "page": "页码",
    "per_page": "每页件数",
    "urgency": "紧急程度",
    "category": "分类",
    "area": "区域",
    "date_from": "登记日期（起）",
    "date_to": "登记日期（止）",
    "overdue": "已超时",
    "sort": "排序",
}
MAX_DAYS = 3660


class TicketFilterQuery(TicketListQuery):
    """The ticket list's query string on the pages (and their Excel export)."""

    urgency: UrgencyName | None = None
    category: Code | None = None
    area: Code | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    sort: SortName = "newest"
    per_page: int = Field(default=25, ge=1, le=100)

    @model_validator(mode="after")
    def _range(self):
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


def parse(args) -> TicketFilterQuery:
    """The filters of a query string; InvalidInput names the wrong filter in Chinese."""
    data = {k: v for k, v in args.items() if v != ""}
    if data.get("overdue") in ("on", "1"):
        data["overdue"] = "true"
    try:
        return validate(TicketFilterQuery, data)
    except InvalidInput as exc:
        detail = (exc.details or [{}])[0]
        field = (detail.get("field") or "").split(".")[0]
        if not field and "date_from" in exc.message:
            raise InvalidInput(
                exc.message, message_zh="登记日期（起）不能晚于登记日期（止）。", field="date_from"
            ) from None
        label = FIELD_LABELS.get(field, "筛选条件")
        reason = detail.get("message_zh") or "内容不合法"
        raise InvalidInput(exc.message, message_zh=f"{label}：{reason}", field=field or None) from None


@dataclass(frozen=True)
class Resolved:
    """Codes turned into ids (an unknown code matches nothing, -1)."""

    unit_id: int | None = None
    category_ids: tuple[int, ...] | None = None
    area_ids: tuple[int, ...] | None = None


def resolve(params: TicketFilterQuery) -> Resolved:
    unit_id = category_ids = area_ids = None
    if params.unit:
        unit = unit_queries.get_by_code(params.unit)
        unit_id = unit.id if unit else -1
    if params.category:
        category_ids = _with_children(category_queries.list_categories(include_inactive=True), params.category)
    if params.area:
        area_ids = _with_children(unit_queries.list_units(include_inactive=True), params.area)
    return Resolved(unit_id, category_ids, area_ids)


def _with_children(rows, code: str) -> tuple[int, ...]:
    """The ids of the row with ``code`` and of everything under it (small tables: units, categories)."""
    root = next((r for r in rows if r.code == code), None)
    if root is None:
        return (-1,)
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    found, todo = [], [root]
    while todo:
        row = todo.pop()
        found.append(row.id)
        todo.extend(children.get(row.id, []))
    return tuple(found)


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.local_zone())


def overdue_clause(now: datetime):
    """An open accept or reply deadline of the ticket has passed (strictly: ``now > due_at``)."""
    return exists().where(
        Deadline.ticket_id == Ticket.id,
        Deadline.stopped_at.is_(None),
        Deadline.kind.in_(("accept", "reply")),
        Deadline.due_at < now,
    )


def where(params: TicketFilterQuery, resolved: Resolved, now: datetime) -> list:
    """The WHERE clauses of these filters (on ``Ticket``)."""
    clauses = []
    if params.status:
        clauses.append(Ticket.status == params.status)
    if params.type:
        clauses.append(Ticket.request_type == params.type)
    if params.urgency:
        clauses.append(Ticket.urgency == params.urgency)
    if resolved.unit_id is not None:
        assisted = exists().where(
            ticket_assist_units.c.ticket_id == Ticket.id, ticket_assist_units.c.unit_id == resolved.unit_id
        )
        clauses.append(or_(Ticket.lead_unit_id == resolved.unit_id, assisted))
    if resolved.category_ids is not None:
        clauses.append(Ticket.category_id.in_(resolved.category_ids))
    if resolved.area_ids is not None:
        clauses.append(Ticket.area_unit_id.in_(resolved.area_ids))
    if params.date_from:
        clauses.append(Ticket.created_at >= local_day_start(params.date_from))
    if params.date_to:
        clauses.append(Ticket.created_at < local_day_start(params.date_to + timedelta(days=1)))
    if params.overdue:
        clauses.append(overdue_clause(now))
    return clauses


def order_by(sort: str, *, default=None) -> tuple:
    """ORDER BY for a sort name; ``default`` is the queue's own order (for "newest")."""
    if sort == "deadline":
        return (Ticket.reply_due_at.is_(None), Ticket.reply_due_at, Ticket.id)
    if sort == "taken":
        return (Ticket.created_at, Ticket.id)
    if sort == "urgency":
        urgent_first = case((Ticket.urgency == Urgency.URGENT.value, 0), else_=1)
        return (urgent_first, Ticket.created_at, Ticket.id)
    return default or (Ticket.created_at.desc(), Ticket.id.desc())
