"""The workflow after intake: answer, submit, dispatch, accept, return, reply, callback,
merge and the recorded remarks (urge, supervise, note). One function per action."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from knowledge_base.services import get_published as get_published_article  # the one call into the KB

from ...core import clock
from ...core.errors import Conflict, InvalidInput
from ...extensions import db
from ...sla import services as deadlines
from ...sla.arithmetic import is_overdue
from ...units import queries as unit_queries
from .. import permissions
from ..models import Callback, Reply, Satisfaction, Ticket, TicketEvent
from ..states import Action, Status
from .extension_requests import withdraw_pending_extension
from .recording import added, check, done, no_autoflush, transition

A = Action


@no_autoflush
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
    return done(ticket, event, actor, now)


@no_autoflush
def submit(ticket: Ticket, *, actor, now: datetime, note: str | None = None) -> TicketEvent:
    event = transition(ticket, A.SUBMIT, actor=actor, now=now, note=note)
    ticket.submitted_at = now
    return done(ticket, event, actor, now)


@no_autoflush
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
    # The named units, lead and assisting, and without a lead unit named the category's
    # default one (which the ticket's statement does not read), in one query.
    default_id = None if lead_unit or ticket.category is None else ticket.category.default_lead_unit_id
    named = unit_queries.by_codes(
        [c for c in [lead_unit, *(assist_units or ())] if c], ids=[default_id] if default_id else ()
    )
    lead = _dispatch_lead(ticket, lead_unit, named)
    assists = _dispatch_assists(lead, assist_units, named)
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
    return done(ticket, event, actor, now)


def _plan_clocks(ticket: Ticket, now: datetime) -> deadlines.UnitPlan:
    """The accept and reply clocks a dispatch or reopen of ``ticket`` starts now."""
    return deadlines.plan_unit_clocks(ticket.request_type, ticket.urgency, now=now, context=f"ticket {ticket.number}")


def _dispatch_lead(ticket: Ticket, code: str | None, named: dict):
    if not code:
        default = ticket.category.default_lead_unit if ticket.category else None
        if default is None or not default.is_active:
            raise InvalidInput(
                "Give the lead unit (lead_unit): this category has no default unit.",
                message_zh="请指定主办单位（该分类没有默认主办单位）。",
                field="lead_unit",
            )
        return default
    unit = named.get(code)
    if unit is None or not unit.is_active:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="主办单位不存在或已停用。", field="lead_unit")
    return unit


def _dispatch_assists(lead, codes, found: dict) -> list:
    codes = list(codes or ())
    if len(set(codes)) != len(codes):
        raise InvalidInput("A unit is listed twice in assist_units.", message_zh="协办单位重复。", field="assist_units")
    if lead.code in codes:
        raise InvalidInput(
            "The lead unit cannot also be an assisting unit.",
            message_zh="主办单位不能同时是协办单位。",
            field="assist_units",
        )
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


@no_autoflush
def accept(ticket: Ticket, *, actor, now: datetime, note: str | None = None) -> TicketEvent:
    event = transition(ticket, A.ACCEPT, actor=actor, now=now, note=note)
    ticket.accepted_at = now
    return done(ticket, event, actor, now)


@no_autoflush
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
    withdraw_pending_extension(ticket, now)
    ticket.lead_unit = None
    ticket.assist_units = []
    ticket.returned_at = now
    ticket.reply_due_at = None
    return done(ticket, event, actor, now)


@no_autoflush
def reply(ticket: Ticket, *, actor, now: datetime, content: str, check_result: dict | None = None) -> TicketEvent:
    """答复. ``check_result``: what the reply check found (the API and the pages run it first)."""
    check(ticket, A.REPLY, actor)
    if not content:
        raise InvalidInput("Give the reply's content.", message_zh="请填写答复内容。", field="content")
    row = Reply(
        ticket_id=ticket.id,
        unit_id=ticket.lead_unit_id,
        author_id=actor.id,
        content=content,
        created_at=now,
        check_result=check_result,
    )
    db.session.add(row)
    added(ticket, "replies", row)
    on_time = not is_overdue(ticket.reply_due_at, now)
    event = transition(ticket, A.REPLY, actor=actor, now=now, note=content, data={"on_time": on_time})
    withdraw_pending_extension(ticket, now)
    ticket.replied_at = now
    return done(ticket, event, actor, now)


@no_autoflush
def callback(
    ticket: Ticket, *, actor, now: datetime, satisfaction: str, resolved: bool, note: str | None = None
) -> TicketEvent:
    """回访: satisfied or basically satisfied closes; dissatisfied reopens to the same unit."""
    check(ticket, A.CALLBACK, actor)
    satisfaction = Satisfaction(satisfaction)
    row = Callback(
        ticket_id=ticket.id,
        operator_id=actor.id,
        unit_id=ticket.lead_unit_id,
        satisfaction=satisfaction.value,
        is_resolved=resolved,
        note=note,
        created_at=now,
    )
    db.session.add(row)
    added(ticket, "callbacks", row)
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
    return done(ticket, event, actor, now)


@no_autoflush
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
    withdraw_pending_extension(ticket, now)
    ticket.duplicate_of = target
    added(target, "duplicates", ticket.number)
    ticket.merged_at = now
    ticket.closed_at = now
    return done(ticket, event, actor, now)


@no_autoflush
def urge(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    """催办: a supervisor's reminder; recorded, the status is unchanged."""
    return _remark(ticket, A.URGE, actor=actor, now=now, note=note)


@no_autoflush
def supervise(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    """督办: a formal supervision order; recorded, the status is unchanged."""
    return _remark(ticket, A.SUPERVISE, actor=actor, now=now, note=note)


@no_autoflush
def add_note(ticket: Ticket, *, actor, now: datetime, note: str) -> TicketEvent:
    return _remark(ticket, A.NOTE, actor=actor, now=now, note=note)


def _remark(ticket: Ticket, action: Action, *, actor, now: datetime, note: str) -> TicketEvent:
    check(ticket, action, actor)
    if not note:
        raise InvalidInput("Give the note.", message_zh="请填写内容。", field="note")
    event = transition(ticket, action, actor=actor, now=now, note=note)
    return done(ticket, event, actor, now)
