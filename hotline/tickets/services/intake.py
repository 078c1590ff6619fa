"""Intake (登记): recording a new ticket, once per Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...callers import services as callers
from ...categories import queries as category_queries
from ...core import signals, txcache
from ...core.db import insert_returning
from ...core.errors import Conflict, Forbidden, InvalidInput
from ...extensions import db
from ...units import queries as unit_queries
from ...units.models import Level
from .. import permissions, text_search
from ..models import IdempotencyKey, Ticket, TicketEvent
from ..numbering import next_number
from ..states import Status
from .recording import event_values, flush


@dataclass(frozen=True)
class NewTicket:
    caller_phone: str  # normalised
    request_type: str
    category: str
    content: str
    caller_name: str | None = None
    area: str | None = None
    address: str | None = None
    urgency: str = "normal"
    channel: str = "phone"

    def fingerprint(self) -> str:
        payload = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def create(
    *, actor, data: NewTicket, now: datetime, idempotency_key: str | None = None
) -> tuple[Ticket, list[TicketEvent]]:
    """Record a new ticket. Returns (ticket, the events recorded); a retried key returns the
    first ticket and no events."""
    if not permissions.can_create(actor):
        raise Forbidden(
            "Only operators record tickets.", message_zh="只有话务员可以登记工单。", code="action_forbidden"
        )
    key_row = None
    if idempotency_key is not None:
        existing, key_row = _claim_idempotency_key(actor, idempotency_key, data.fingerprint(), now)
        if existing is not None:
            return existing, []
    category = _category(data.category)
    area = _area(data.area)
    caller = callers.find_or_create(data.caller_phone, name=data.caller_name, now=now)
    # Two new rows written with one INSERT each, not through the unit of work (see
    # core.db.insert_returning): intake is the product's busiest write.
    ticket = _insert_ticket(data, actor=actor, category=category, area=area, caller=caller, now=now)
    text_search.index_ticket(ticket.id, data.content, data.address)  # searchable from this commit on
    event = insert_returning(
        TicketEvent,
        event_values(
            ticket,
            "create",
            actor=actor,
            now=now,
            from_status=None,
            to_status=Status.NEW.value,
            data={
                "request_type": data.request_type,
                "category": data.category,
                "channel": data.channel,
                "urgency": data.urgency,
            },
        ),
    )
    if key_row is not None:
        key_row.ticket_id = ticket.id
    # The new ticket's whole timeline, for whoever documents it in this transaction (the
    # e-supervision case a complaint opens): known, not read back.
    txcache.get(db.session(), ("ticket_events", ticket.id), list).append(event)
    flush()
    signals.ticket_created.send(ticket, actor=actor, now=now)
    return ticket, [event]


def _category(code: str):
    category = category_queries.get_by_code(code)
    if category is None or not category.is_active:
        raise InvalidInput(f"Unknown category {code!r}.", message_zh="诉求分类不存在或已停用。", field="category")
    return category


def _area(code: str | None):
    """The district or town the request is about (optional)."""
    if not code:
        return None
    area = unit_queries.get_by_code(code)
    if area is None or area.level not in (Level.DISTRICT, Level.TOWN):
        raise InvalidInput(
            f"Unknown area {code!r}: give the code of a district or town.",
            message_zh="所属区域不存在（应为区或镇街编码）。",
            field="area",
        )
    return area


def _insert_ticket(data: NewTicket, *, actor, category, area, caller, now: datetime) -> Ticket:
    return insert_returning(
        Ticket,
        {
            "number": next_number(now),
            "version": 1,
            "status": Status.NEW.value,
            "channel": data.channel,
            "request_type": data.request_type,
            "category_id": category.id,
            "area_unit_id": area.id if area is not None else None,
            "address": data.address,
            "content": data.content,
            "urgency": data.urgency,
            "caller_id": caller.id,
            "caller_name": data.caller_name,
            "created_by_id": actor.id,
            "reopen_count": 0,
            "created_at": now,
            "updated_at": now,
        },
        category=category,
        area_unit=area,
        caller=caller,
        assist_units=[],  # known empty: spares a query when the new ticket is shown
    )


def _claim_idempotency_key(actor, key: str, fingerprint: str, now: datetime):
    """Claim ``key`` for this request, or find the ticket a previous request made with it."""
    row = IdempotencyKey(user_id=actor.id, key=key, request_hash=fingerprint, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
        return None, row
    except IntegrityError:
        pass
    existing = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key)
    )
    if existing.request_hash != fingerprint:
        raise InvalidInput(
            "This Idempotency-Key was already used for a different request.",
            message_zh="该幂等键已用于另一个不同的请求。",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    if existing.ticket_id is None:  # pragma: no cover - only while the first request is still running
        raise Conflict(
            "A request with this Idempotency-Key is still in progress.",
            message_zh="相同请求正在处理中，请稍候。",
            code="idempotency_in_progress",
        )
    return db.session.get(Ticket, existing.ticket_id), existing
