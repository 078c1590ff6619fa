"""Dispatching a group of duplicates at once (重复件一并派单).

The head (the oldest of the group) and each member chosen go to the same lead and
assisting units, each through the ticket's own dispatch service: each gets its own
dispatch event and its own accept and reply deadlines. All or nothing: any member that
cannot be dispatched (dispatched, merged or changed meanwhile, or not a probable duplicate
of the head) refuses the whole, naming it; the caller rolls the transaction back.
"""

from __future__ import annotations

from datetime import datetime

from ..core.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..tickets import queries as ticket_queries
from ..tickets import services as ticket_services
from ..tickets.models import Ticket
from ..tickets.states import STATUS_LABELS, Action, Status
from . import duplicates, permissions

NOTHING_DONE = "本次未派出任何工单"


def dispatch_group(
    head: Ticket,
    *,
    members: list[str],
    actor,
    now: datetime,
    lead_unit: str,
    assist_units=(),
    note: str | None = None,
) -> list[Ticket]:
    """Dispatch ``head`` and the ``members`` (ticket numbers) to the same units; returns the
    tickets dispatched, the head first. Raises before or while writing; never commits."""
    if not permissions.can_dispatch_group(actor):
        raise Forbidden(
            "Only dispatchers dispatch a group of duplicates.",
            message_zh="只有派单员可以一并派单。",
            code="action_forbidden",
        )
    ticket_services.check(head, Action.DISPATCH, actor)
    chosen = _members(head, members, actor=actor, now=now)
    text = f"与相似来电一并派单（另 {len(chosen)} 件）" + (f"：{note}" if note else "")
    ticket_services.dispatch(
        head, actor=actor, now=now, lead_unit=lead_unit, assist_units=list(assist_units), note=text
    )
    for ticket in chosen:
        text = f"作为工单 {head.number} 的相似来电一并派单" + (f"：{note}" if note else "")
        try:
            ticket_services.dispatch(
                ticket, actor=actor, now=now, lead_unit=lead_unit, assist_units=list(assist_units), note=text
            )
        except Conflict as exc:  # e.g. changed by someone else since it was read
            raise Conflict(
                f"Ticket {ticket.number}: {exc}",
                message_zh=f"工单 {ticket.number}：{exc.message_zh}{NOTHING_DONE}。",
                code=exc.code,
                field="members",
            ) from None
    return [head, *chosen]


def _members(head: Ticket, numbers: list[str], *, actor, now: datetime) -> list[Ticket]:
    """The chosen members, each checked before anything is written."""
    if not numbers:
        raise InvalidInput("Choose at least one member.", message_zh="请至少选择一件相似来电。", field="members")
    if len(set(numbers)) != len(numbers) or head.number in numbers:
        raise InvalidInput(
            "A ticket is listed twice in members (or is the head itself).",
            message_zh="相似来电重复，或包含本工单。",
            field="members",
        )
    group = {s.ticket.number: s.ticket for s in duplicates.pending_group(head, viewer=actor, now=now)}
    chosen = []
    for number in numbers:
        if number in group:
            chosen.append(group[number])
            continue
        try:
            ticket = ticket_queries.get_visible(actor, number)
        except NotFound:
            raise InvalidInput(
                f"No ticket {number}.", message_zh=f"工单 {number} 不存在。{NOTHING_DONE}。", field="members"
            ) from None
        if ticket.status != Status.PENDING_DISPATCH.value:
            label = STATUS_LABELS[Status(ticket.status)]
            raise Conflict(
                f"Ticket {number} is {ticket.status}, no longer waiting for dispatch.",
                message_zh=f"工单 {number} 当前状态为“{label}”，已不在待派单中，不能一并派单；"
                f"{NOTHING_DONE}，请刷新后重新选择。",
                code="member_not_pending",
                field="members",
            )
        raise InvalidInput(
            f"Ticket {number} is not a probable duplicate of {head.number}.",
            message_zh=f"工单 {number} 不是本工单的相似来电（须同一区域、近 {duplicates.WINDOW_DAYS} 天、内容相近），"
            f"不能一并派单；{NOTHING_DONE}。",
            field="members",
        )
    return chosen
