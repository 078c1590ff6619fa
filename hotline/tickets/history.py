"""A centre's past tickets from its old system (``flask tickets import-history``).

One JSON object a line: ``{"id", "title"?, "content", "created_at", "category",
"lead_unit"?, "area"?}`` (codes for the category and units). Each becomes a closed ticket of
the channel ``import`` with its original time, keyed by ``id`` (``Ticket.import_id``): a
second import of the same line updates the ticket instead of adding another. Imported
tickets teach the dispatch suggestions (hotline.routing) who keeps which kind of ticket.

Nothing is sent and no signal fires: the citizen was answered long ago. Each created or
changed ticket gets an ``import`` event (the audit trail says where it came from).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, field_validator
from sqlalchemy import select

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import InvalidInput
from ..core.validation import Code, Line, Schema, Text, validate
from ..extensions import db
from ..units import queries as unit_queries
from ..units.models import Level
from .models import Channel, RequestType, Ticket
from .numbering import next_number
from .schemas import MAX_CONTENT, RequestTypeName
from .services.recording import record_event
from .states import Status

# The caller of every imported ticket: the old systems' numbers are not brought over.
IMPORT_CALLER_PHONE = "imported"
IMPORT_CALLER_NAME = "历史导入"
DEFAULT_REQUEST_TYPE = RequestType.HELP.value


def _id_text(value):
    # The old system's id may be a number or a string; it is kept as text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class HistoryLineIn(Schema):
    id: Annotated[Line(64), BeforeValidator(_id_text)]
    title: Line(200) | None = None
    content: Text(MAX_CONTENT)
    created_at: Line(40)
    category: Code
    lead_unit: Code | None = None
    area: Code | None = None
    request_type: RequestTypeName | None = None

    @field_validator("created_at")
    @classmethod
    def _time(cls, value: str) -> str:
        try:
            clock.parse_iso(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 time, e.g. 2019-05-06T09:30:00+08:00") from None
        return value


@dataclass(frozen=True)
class HistoryRecord:
    import_id: str
    content: str
    created_at: datetime
    category_id: int
    lead_unit_id: int | None
    area_unit_id: int | None
    request_type: str


class Lookups:
    """Codes → ids, read once per import (an import of 100,000 lines asks for the same few
    hundred codes again and again)."""

    def __init__(self) -> None:
        self._categories: dict[str, int | None] = {}
        self._units: dict[str, tuple[int, str] | None] = {}

    def category(self, code: str) -> int:
        if code not in self._categories:
            found = category_queries.get_by_code(code)
            self._categories[code] = found.id if found is not None else None
        if self._categories[code] is None:
            raise InvalidInput(f"Unknown category {code!r}.", message_zh="诉求分类不存在。", field="category")
        return self._categories[code]

    def unit(self, code: str | None, field: str) -> int | None:
        if not code:
            return None
        if code not in self._units:
            found = unit_queries.get_by_code(code)
            self._units[code] = (found.id, found.level) if found is not None else None
        found = self._units[code]
        if found is None:
            raise InvalidInput(f"Unknown unit {code!r}.", message_zh="单位不存在。", field=field)
        if field == "area" and found[1] not in (Level.DISTRICT, Level.TOWN):
            raise InvalidInput(
                f"Area {code!r} is not a district or town.", message_zh="所属区域应为区或镇街编码。", field=field
            )
        return found[0]


def parse_line(raw: str, lookups: Lookups) -> HistoryRecord:
    """One line of the file, checked; raises :class:`InvalidInput` with the field at fault."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("Not a JSON object.", message_zh="不是合法的 JSON 对象。") from None
    if not isinstance(data, dict):
        raise InvalidInput("Not a JSON object.", message_zh="不是合法的 JSON 对象。")
    line = validate(HistoryLineIn, data)
    content = f"{line.title}\n{line.content}" if line.title else line.content
    if len(content) > MAX_CONTENT:
        raise InvalidInput(
            "Title and content are too long together.",
            message_zh=f"标题和内容合计超过 {MAX_CONTENT} 个字。",
            field="content",
        )
    return HistoryRecord(
        import_id=line.id,
        content=content,
        created_at=clock.parse_iso(line.created_at),
        category_id=lookups.category(line.category),
        lead_unit_id=lookups.unit(line.lead_unit, "lead_unit"),
        area_unit_id=lookups.unit(line.area, "area"),
        request_type=line.request_type or DEFAULT_REQUEST_TYPE,
    )


def import_caller(now: datetime):
    """The one caller that imported tickets share (created on the first import)."""
    from ..callers.models import Caller

    caller = db.session.scalar(select(Caller).where(Caller.phone == IMPORT_CALLER_PHONE))
    if caller is None:
        caller = Caller(phone=IMPORT_CALLER_PHONE, name=IMPORT_CALLER_NAME, created_at=now, updated_at=now)
        db.session.add(caller)
        db.session.flush()
    return caller


_FIELDS = ("content", "created_at", "category_id", "lead_unit_id", "area_unit_id", "request_type")


def import_record(record: HistoryRecord, *, actor, caller, now: datetime) -> str:
    """Create or update the ticket of ``record``: ``"created"``, ``"updated"`` or ``"unchanged"``.
    Flushes; never commits."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.import_id == record.import_id))
    values = {name: getattr(record, name) for name in _FIELDS}
    times = {
        "submitted_at": record.created_at,
        "dispatched_at": record.created_at if record.lead_unit_id else None,
        "closed_at": record.created_at,
    }
    if ticket is None:
        ticket = Ticket(
            number=next_number(record.created_at),  # a number of the day it was recorded
            import_id=record.import_id,
            status=Status.CLOSED.value,
            channel=Channel.IMPORT.value,
            urgency="normal",
            caller_id=caller.id,
            created_by_id=actor.id,
            reopen_count=0,
            updated_at=now,
            **values,
            **times,
        )
        db.session.add(ticket)
        db.session.flush()
        outcome, changed = "created", sorted(_FIELDS)
    else:
        if ticket.channel != Channel.IMPORT.value:  # pragma: no cover - import_id is only set here
            raise InvalidInput("Not an imported ticket.", message_zh="该编号对应的不是导入的工单。", field="id")
        changed = sorted(name for name, value in values.items() if getattr(ticket, name) != value)
        if not changed:
            return "unchanged"
        for name in changed:
            setattr(ticket, name, values[name])
        for name, value in times.items():
            setattr(ticket, name, value)
        ticket.updated_at = now
        outcome = "updated"
    record_event(
        ticket,
        "import",
        actor=actor,
        now=now,
        from_status=None if outcome == "created" else ticket.status,
        data={"import_id": record.import_id, "outcome": outcome, "fields": changed},
    )
    db.session.flush()
    return outcome
