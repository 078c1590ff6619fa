"""The ticket's life: one function per action, and :func:`transition`, the only writer
of ``Ticket.status``.

Services take the actor and ``now``; they check the named permission and the state
table, change the ticket, append the immutable event, and flush. They never commit:
the caller owns the transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from knowledge_base.services import get_published as get_published_article  # the one call into the KB

from ..callers import services as callers
from ..categories import queries as category_queries
from ..core import clock, signals
from ..core.db import insert_returning
from ..core.errors import ConcurrentUpdate, Conflict, Forbidden, InvalidInput, InvalidTransition
from ..extensions import db
from ..sla import services as deadlines
from ..sla.arithmetic import is_overdue
from ..units import queries as unit_queries
from ..units.models import Level
from . import permissions, states
from .models import (
    Callback,
    ExtensionRequest,
    ExtensionStatus,
    IdempotencyKey,
    Reply,
    Satisfaction,
    Ticket,
    TicketEvent,
)
from .numbering import next_number
from .states import ACTION_LABELS, STATUS_LABELS, Action, Status

A = Action


# --- the one place that moves a ticket ------------------------------------------------


def check(ticket: Ticket, action: Action, actor) -> Status:
    """Refuse (403 or 409) unless ``actor`` may do ``action`` to ``ticket`` now.

    Returns the status the ticket will have afterwards. Changes nothing.
    """
    action = Action(action)
    if actor is not None and not permissions.can_perform(actor, action, ticket):
        raise Forbidden(
            f"Your role may not {action.value} this ticket.",
            message_zh=f"您无权对此工单执行“{ACTION_LABELS[action]}”。",
            code="action_forbidden",
        )
    try:
        return states.next_status(ticket.status, action)
    except states.TransitionRefused:
        status = Status(ticket.status)
        raise InvalidTransition(
            f"Cannot {action.value} a ticket that is {status.value}.",
            message_zh=f"工单当前状态为“{STATUS_LABELS[status]}”，不能{ACTION_LABELS[action]}。",
        ) from None


def transition(
    ticket: Ticket, action: Action, *, actor, now: datetime, note: str | None = None, data: dict | None = None
) -> TicketEvent:
    """Check, move and record: the only code that writes ``ticket.status``."""
    to_status = check(ticket, action, actor)
    event = record_event(
        ticket, action, actor=actor, now=now, note=note, data=data, from_status=ticket.status, to_status=to_status.value
    )
    ticket.status = to_status.value
    ticket.updated_at = now
    return event


_UNCHANGED = object()


def record_event(
    ticket: Ticket,
    action: str,
    *,
    actor,
    now: datetime,
    note: str | None = None,
    data: dict | None = None,
    from_status=_UNCHANGED,
    to_status=_UNCHANGED,
) -> TicketEvent:
    """Append an immutable event. ``actor`` None means the system (the deadline watch)."""
    event = TicketEvent(
        **_event_values(
            ticket, action, actor=actor, now=now, note=note, data=data, from_status=from_status, to_status=to_status
        )
    )
    db.session.add(event)
    return event


def _event_values(ticket, action, *, actor, now, note=None, data=None, from_status=_UNCHANGED, to_status=_UNCHANGED):
    return {
        "ticket_id": ticket.id,
        "action": str(action),
        "from_status": ticket.status if from_status is _UNCHANGED else from_status,
        "to_status": ticket.status if to_status is _UNCHANGED else to_status,
        "actor_id": getattr(actor, "id", None),
        "actor_role": getattr(actor, "role", None),
        "actor_unit_id": getattr(actor, "unit_id", None),
        "at": now,
        "note": note,
        "data": data or {},
    }


def _no_autoflush(service):
    """Run a service with autoflush off: a lazy load halfway through a change must not
    flush a half-changed ticket (the CHECK constraints would rightly refuse it).
    The service flushes explicitly at the end."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return service(*args, **kwargs)

    return wrapper


def _flush() -> None:
    """Write now, so that a concurrent change surfaces here as a clean 409."""
    try:
        db.session.flush()
    except StaleDataError:
        raise ConcurrentUpdate() from None


def _done(ticket: Ticket, event: TicketEvent, actor, now: datetime) -> TicketEvent:
    """Flush the change, then tell the other domains (in this transaction)."""
    _flush()
    signals.ticket_changed.send(ticket, event=event, actor=actor, now=now)
    return event


# --- intake ---------------------------------------------------------------------------


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

    category = category_queries.get_by_code(data.category)
    if category is None or not category.is_active:
        raise InvalidInput(
            f"Unknown category {data.category!r}.", message_zh="诉求分类不存在或已停用。", field="category"
        )
    area = None
    if data.area:
        area = unit_queries.get_by_code(data.area)
        if area is None or area.level not in (Level.DISTRICT, Level.TOWN):
            raise InvalidInput(
                f"Unknown area {data.area!r}: give the code of a district or town.",
                message_zh="所属区域不存在（应为区或镇街编码）。",
                field="area",
            )

    caller = callers.find_or_create(data.caller_phone, name=data.caller_name, now=now)
    # Two new rows written with one INSERT each, not through the unit of work (see
    # core.db.insert_returning): intake is the product's busiest write.
    ticket = insert_returning(
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
    event = insert_returning(
        TicketEvent,
        _event_values(
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
    _flush()
    signals.ticket_created.send(ticket, actor=actor, now=now)
    return ticket, [event]


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


# --- the workflow ---------------------------------------------------------------------


@_no_autoflush
def answer(
    ticket: Ticket, *, actor, now: datetime, article_id: int | None = None, answer_text: str | None = None
) -> TicketEvent:
    """直接答复: the operator answers on the call and closes the ticket."""
    check(ticket, A.ANSWER, actor)
    if article_id is None and not answer_text:
        raise InvalidInput(
            "Give the knowledge-base article (article_id) or the answer given (answer).",
            message_zh="请选择知识条目或填写答复内容。",
            field="answer",
        )
    if article_id is not None and get_published_article(article_id) is None:
        raise InvalidInput(
            f"No published knowledge-base article {article_id}.",
            message_zh="知识条目不存在或未发布。",
            field="article_id",
        )
    event = transition(
        ticket,
        A.ANSWER,
        actor=actor,
        now=now,
        note=answer_text,
        data={"article_id": article_id} if article_id is not None else None,
    )
    ticket.answer_article_id = article_id
    ticket.answer_text = answer_text
    ticket.closed_at = now
    return _done(ticket, event, actor, now)


@_no_autoflush
def submit(ticket: Ticket, *, actor, now: datetime, note: str | None = None) -> TicketEvent:
    event = transition(ticket, A.SUBMIT, actor=actor, now=now, note=note)
    ticket.submitted_at = now
    return _done(ticket, event, actor, now)


@_no_autoflush
def dispatch(
    ticket: Ticket,
    *,
    actor,
    now: datetime,
    lead_unit: str | None = None,
    assist_units: list[str] | tuple[str, ...] = (),
    note: str | None = None,
) -> TicketEvent:
    """派单: to one lead unit (主办) and optional assisting units (协办); the reply clock starts."""
    check(ticket, A.DISPATCH, actor)
    lead = _dispatch_lead(ticket, lead_unit)
    assists = _dispatch_assists(lead, assist_units)
    plan = _plan_clocks(ticket, now)
    due = plan.reply_due_at
    event = transition(
        ticket,
        A.DISPATCH,
        actor=actor,
        now=now,
        note=note,
        data={
            "lead_unit": lead.code,
            "assist_units": [u.code for u in assists],
            "reply_due_at": clock.isoformat(due),
            "sla": plan.event_data(),
        },
    )
    _assign(ticket, lead, assists, now, due)
    deadlines.open_unit_clocks(ticket.id, plan, unit_id=lead.id, now=now)
    return _done(ticket, event, actor, now)


def _plan_clocks(ticket: Ticket, now: datetime) -> deadlines.UnitPlan:
    """The accept and reply clocks a dispatch or reopen of ``ticket`` starts now."""
    return deadlines.plan_unit_clocks(ticket.request_type, ticket.urgency, now=now, context=f"ticket {ticket.number}")


def _dispatch_lead(ticket: Ticket, code: str | None):
    if not code:
        default = ticket.category.default_lead_unit if ticket.category else None
        if default is None or not default.is_active:
            raise InvalidInput(
                "Give the lead unit (lead_unit): this category has no default unit.",
                message_zh="请指定主办单位（该分类没有默认主办单位）。",
                field="lead_unit",
            )
        return default
    unit = unit_queries.get_by_code(code)
    if unit is None or not unit.is_active:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="主办单位不存在或已停用。", field="lead_unit")
    return unit


def _dispatch_assists(lead, codes) -> list:
    codes = list(codes or ())
    if len(set(codes)) != len(codes):
        raise InvalidInput("A unit is listed twice in assist_units.", message_zh="协办单位重复。", field="assist_units")
    if lead.code in codes:
        raise InvalidInput(
            "The lead unit cannot also be an assisting unit.",
            message_zh="主办单位不能同时是协办单位。",
            field="assist_units",
        )
    found = unit_queries.by_codes(codes)
    missing = [c for c in codes if c not in found or not found[c].is_active]
    if missing:
        raise InvalidInput(
            f"Unknown unit(s) {', '.join(missing)}.", message_zh="协办单位不存在或已停用。", field="assist_units"
        )
    return [found[c] for c in codes]


def _assign(ticket: Ticket, lead, assists, now: datetime, due: datetime) -> None:
    ticket.lead_unit = lead
    ticket.assist_units = list(assists)
    ticket.dispatched_at = now
    ticket.accepted_at = None
    ticket.replied_at = None
    ticket.reply_due_at = due


@_no_autoflush
def accept(ticket: Ticket, *, actor, now: datetime, note: str | None = None) -> TicketEvent:
    event = transition(ticket, A.ACCEPT, actor=actor, now=now, note=note)
    ticket.accepted_at = now
    return _done(ticket, event, actor, now)


@_no_autoflush
def return_ticket(ticket: Ticket, *, actor, now: datetime, reason: str) -> TicketEvent:
    """退单: the lead unit sends a misrouted ticket back; its clock stops."""
    check(ticket, A.RETURN, actor)
    if not reason:
        raise InvalidInput("Give the reason for returning the ticket.", message_zh="请填写退单理由。", field="reason")
    event = transition(
        ticket,
        A.RETURN,
        actor=actor,
        now=now,
        note=reason,
        data={
            "lead_unit": ticket.lead_unit.code if ticket.lead_unit else None,
            "assist_units": [u.code for u in ticket.assist_units],
        },
    )
    _withdraw_pending_extension(ticket, now)
    ticket.lead_unit = None
    ticket.assist_units = []
    ticket.returned_at = now
    ticket.reply_due_at = None
    return _done(ticket, event, actor, now)


@_no_autoflush
def reply(ticket: Ticket, *, actor, now: datetime, content: str) -> TicketEvent:
    check(ticket, A.REPLY, actor)
    if not content:
        raise InvalidInput("Give the reply's content.", message_zh="请填写答复内容。", field="content")
    db.session.add(
        Reply(ticket_id=ticket.id, unit_id=ticket.lead_unit_id, author_id=actor.id, content=content, created_at=now)
    )
    on_time = not is_overdue(ticket.reply_due_at, now)
    event = transition(ticket, A.REPLY, actor=actor, now=now, note=content, data={"on_time": on_time})
    _withdraw_pending_extension(ticket, now)
    ticket.replied_at = now
    return _done(ticket, event, actor, now)


MAX_EXTENSION_HOURS = 720


@_no_autoflush
def request_extension(ticket: Ticket, *, actor, now: datetime, hours: int, reason: str) -> ExtensionRequest:
    check(ticket, A.REQUEST_EXTENSION, actor)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_EXTENSION_HOURS:
        raise InvalidInput(
            f"hours must be a whole number from 1 to {MAX_EXTENSION_HOURS}.",
            message_zh=f"延期时长应为 1–{MAX_EXTENSION_HOURS} 小时。",
            field="hours",
        )
    if not reason:
        raise InvalidInput("Give the reason for the extension.", message_zh="请填写延期理由。", field="reason")
    if pending_extension(ticket) is not None:
        raise Conflict(
            "An extension request is already waiting for a decision.",
            message_zh="已有待审批的延期申请。",
            code="extension_pending",
        )
    request = ExtensionRequest(
        ticket_id=ticket.id,
        unit_id=ticket.lead_unit_id,
        requested_by_id=actor.id,
        hours=hours,
        reason=reason,
        status=ExtensionStatus.PENDING.value,
        created_at=now,
        previous_due_at=ticket.reply_due_at,
    )
    db.session.add(request)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "An extension request is already waiting for a decision.",
            message_zh="已有待审批的延期申请。",
            code="extension_pending",
        ) from None
    event = transition(
        ticket,
        A.REQUEST_EXTENSION,
        actor=actor,
        now=now,
        note=reason,
        data={"hours": hours, "extension_request_id": request.id},
    )
    _done(ticket, event, actor, now)
    return request


@_no_autoflush
def decide_extension(
    ticket: Ticket, *, actor, now: datetime, approve: bool, note: str | None = None
) -> ExtensionRequest:
    check(ticket, A.DECIDE_EXTENSION, actor)
    request = pending_extension(ticket)
    if request is None:
        raise Conflict(
            "There is no extension request waiting for a decision.",
            message_zh="没有待审批的延期申请。",
            code="no_pending_extension",
        )
    request.status = (ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED).value
    request.decided_by_id = actor.id
    request.decided_at = now
    request.decision_note = note
    data = {"approve": approve, "hours": request.hours, "extension_request_id": request.id}
    if approve:
        request.previous_due_at = ticket.reply_due_at
        request.new_due_at = deadlines.extend_reply(
            ticket.id,
            due_at=ticket.reply_due_at,
            hours=request.hours,
            now=now,
            request_id=request.id,
            context=ticket.number,
        )
        ticket.reply_due_at = request.new_due_at
        data["reply_due_at"] = clock.isoformat(request.new_due_at)
    event = transition(ticket, A.DECIDE_EXTENSION, actor=actor, now=now, note=note, data=data)
    _done(ticket, event, actor, now)
    return request


def pending_extension(ticket: Ticket) -> ExtensionRequest | None:
    return db.session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.ticket_id == ticket.id,
            ExtensionRequest.status == ExtensionStatus.PENDING.value,
        )
    )


def _withdraw_pending_extension(ticket: Ticket, now: datetime) -> None:
    db.session.execute(
        update(ExtensionRequest)
        .where(ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.status == ExtensionStatus.PENDING.value)
        .values(status=ExtensionStatus.WITHDRAWN.value, decided_at=now)
    )


@_no_autoflush
def callback(
    ticket: Ticket, *, actor, now: datetime, satisfaction: str, resolved: bool, note: str | None = None
) -> TicketEvent:
    """回访: satisfied or basically satisfied closes; dissatisfied reopens to the same unit."""
    check(ticket, A.CALLBACK, actor)
    satisfaction = Satisfaction(satisfaction)
    db.session.add(
        Callback(
            ticket_id=ticket.id,
            operator_id=actor.id,
            unit_id=ticket.lead_unit_id,
            satisfaction=satisfaction.value,
            is_resolved=resolved,
            note=note,
            created_at=now,
        )
    )
    data = {"satisfaction": satisfaction.value, "resolved": resolved}
    if satisfaction is Satisfaction.DISSATISFIED:
        plan = _plan_clocks(ticket, now)
        due = plan.reply_due_at
        data["reply_due_at"] = clock.isoformat(due)
        data["lead_unit"] = ticket.lead_unit.code
        data["sla"] = plan.event_data()
        event = transition(ticket, A.REOPEN, actor=actor, now=now, note=note, data=data)
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
        ticket.reopened_at = now
        _assign(ticket, ticket.lead_unit, list(ticket.assist_units), now, due)
        deadlines.open_unit_clocks(ticket.id, plan, unit_id=ticket.lead_unit_id, now=now)
    else:
        event = transition(ticket, A.CALLBACK, actor=actor, now=now, note=note, data=data)
        ticket.closed_at = now
    return _done(ticket, event, actor, now)


@_no_autoflush
def merge(ticket: Ticket, *, actor, now: datetime, into: str) -> TicketEvent:
    """合并: a duplicate is closed and linked to the ticket it repeats."""
    check(ticket, A.MERGE, actor)
    target = db.session.scalar(select(Ticket).where(Ticket.number == into))
    if target is None or not permissions.can_view(actor, target):
        raise InvalidInput(f"No ticket {into!r}.", message_zh="目标工单不存在。", field="into")
    if target.id == ticket.id:
        raise InvalidInput("A ticket cannot be merged into itself.", message_zh="不能将工单合并到自身。", field="into")
    if target.status == Status.MERGED:
        first = target.duplicate_of.number if target.duplicate_of else "?"
        raise Conflict(
            f"Ticket {into} is itself merged into {first}; merge into that one.",
            message_zh=f"目标工单已合并到 {first}，请合并到该工单。",
            code="target_merged",
            field="into",
        )
    event = transition(ticket, A.MERGE, actor=actor, now=now, data={"into": target.number})
    _withdraw_pending_extension(ticket, now)
    ticket.duplicate_of = target
    ticket.merged_at = now
    ticket.closed_at = now
    return _done(ticket, event, actor, now)


@_no_autoflush
def urge(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    """催办: a supervisor's reminder; recorded, the status is unchanged."""
    return _remark(ticket, A.URGE, actor=actor, now=now, note=note)


@_no_autoflush
def supervise(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    """督办: a formal supervision order; recorded, the status is unchanged."""
    return _remark(ticket, A.SUPERVISE, actor=actor, now=now, note=note)


@_no_autoflush
def add_note(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    return _remark(ticket, A.NOTE, actor=actor, now=now, note=note)


def _remark(ticket: Ticket, action: Action, *, actor, now: datetime, note: str) -> TicketEvent:
    check(ticket, action, actor)
    if not note:
        raise InvalidInput("Give the note.", message_zh="请填写内容。", field="note")
    event = transition(ticket, action, actor=actor, now=now, note=note)
    return _done(ticket, event, actor, now)
