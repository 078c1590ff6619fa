"""A page of queue or list rows as people read them (the page and its Excel export share this).

Names, not codes; every running deadline as a countdown with its colour
(:mod:`hotline.sla.countdown`); the caller's number masked for whoever may not see it, and
mobile numbers inside the text masked for them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..attachments import queries as attachment_queries
from ..core import clock
from ..core.privacy import mask_numbers
from ..extensions import db
from ..sla import queries as sla_queries
from ..sla.countdown import Countdown, countdown, since_zh
from ..sla.models import DEADLINE_KIND_LABELS, DeadlineKind
from ..supervision.models import RectificationNotice
from ..tickets.models import (
    REQUEST_TYPE_LABELS,
    URGENCY_LABELS,
    ExtensionRequest,
    RequestType,
    Ticket,
    TicketEvent,
    Urgency,
)
from ..tickets.schemas import phone_for
from ..tickets.states import STATUS_LABELS, Action, Status
from .queries import notice_deadlines

EXTENSION_LABELS = {"pending": "待审批", "approved": "已批准", "refused": "未批准", "withdrawn": "已撤回"}
SUMMARY_CHARS = 60


@dataclass
class Row:
    number: str
    status: str
    status_label: str
    urgency: str
    urgency_label: str
    request_type_label: str
    category_name: str
    area_name: str
    address: str
    content: str
    caller_name: str
    caller_phone: str
    lead_unit_name: str
    created_at: str
    reopen_count: int = 0
    countdowns: list[Countdown] = field(default_factory=list)
    note: str = ""  # what this queue adds: the return reason, the request and its outcome...
    note_tone: str = ""
    since: str = ""
    anchor: str = ""  # where on the ticket page the next action is
    case_id: int | None = None  # a rectification notice's case (its page has the response form)
    attachment_count: int = 0
    thumb_id: int | None = None  # the first photo's attachment, shown as a thumbnail
    group: list[str] = field(default_factory=list)  # the numbers of its probable duplicates folded into it

    @property
    def summary(self) -> str:
        text = " ".join(self.content.split())
        return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _fmt(value: datetime | None) -> str:
    local = clock.local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def base_row(ticket: Ticket, viewer) -> Row:
    phone, masked = phone_for(viewer, ticket.caller.phone)
    content = mask_numbers(ticket.content, ticket.caller.phone) if masked else ticket.content
    return Row(
        number=ticket.number,
        status=ticket.status,
        status_label=STATUS_LABELS[Status(ticket.status)],
        urgency=ticket.urgency,
        urgency_label=URGENCY_LABELS[Urgency(ticket.urgency)],
        request_type_label=REQUEST_TYPE_LABELS[RequestType(ticket.request_type)],
        category_name=ticket.category.full_name,
        area_name=ticket.area_unit.name if ticket.area_unit else "",
        address=(mask_numbers(ticket.address) if masked else ticket.address) or "",
        content=content or "",
        caller_name=ticket.caller_name or "",
        caller_phone=phone,
        lead_unit_name=ticket.lead_unit.name if ticket.lead_unit else "",
        created_at=_fmt(ticket.created_at),
        reopen_count=ticket.reopen_count or 0,
    )


def ticket_rows(tickets: list[Ticket], viewer, now: datetime) -> list[Row]:
    """Plain list rows: each ticket with the countdowns of its running deadlines."""
    clocks = sla_queries.running_countdowns([t.id for t in tickets], now)
    rows = []
    for ticket in tickets:
        row = base_row(ticket, viewer)
        row.countdowns = clocks[ticket.id]
        rows.append(row)
    return _with_attachments(rows, tickets)


def _with_attachments(rows: list[Row], tickets) -> list[Row]:
    """Each row's attachment count and first photo (one query for the page)."""
    found = attachment_queries.thumbnails([t.id for t in tickets])
    for row, ticket in zip(rows, tickets, strict=True):
        row.attachment_count, row.thumb_id = found.get(ticket.id, (0, None))
    return rows


def _return_events(ticket_ids) -> dict[int, TicketEvent]:
    """The latest return (退单) of each ticket: who returned it and why."""
    if not ticket_ids:
        return {}
    events = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action == Action.RETURN.value)
        .order_by(TicketEvent.id)
    )
    return {e.ticket_id: e for e in events}


def queue_rows(queue, pairs, viewer, now: datetime) -> list[Row]:
    """The rows of a page of a queue (``pairs``: (entity or None, Ticket))."""
    tickets = [t for _, t in pairs]
    clocks = sla_queries.running_countdowns([t.id for t in tickets], now)
    extra = _return_events([t.id for t in tickets]) if queue.key == "returned" else {}
    notices = [e for e, _ in pairs if isinstance(e, RectificationNotice)]
    notice_clocks = notice_deadlines([n.id for n in notices]) if notices else {}
    rows = []
    for entity, ticket in pairs:
        row = base_row(ticket, viewer)
        row.countdowns = list(clocks[ticket.id])
        _decorate(queue.key, row, entity, ticket, now, extra=extra, notice_clocks=notice_clocks)
        rows.append(row)
    return _with_attachments(rows, tickets)


def fold_duplicates(rows: list[Row], tickets: list[Ticket], now: datetime) -> list[Row]:
    """The dispatch queue's page with each group of probable duplicates as one line: the
    oldest ticket's row, listing the others' numbers, whose link goes to the group dispatch.
    Only the page's own tickets are compared (already loaded: no query)."""
    from ..routing import duplicates  # routing reads tickets; the queues only call it here

    found = duplicates.groups(tickets, now=now)
    if not found:
        return rows
    folded = {m.id for members in found.values() for m in members}
    out = []
    for ticket, row in zip(tickets, rows, strict=True):
        if ticket.id in folded:
            continue
        if ticket.id in found:
            row.group = [m.number for m in found[ticket.id]]
            row.anchor = "action-dispatch-group"
        out.append(row)
    return out


def _decorate(key, row: Row, entity, ticket: Ticket, now, *, extra, notice_clocks) -> None:
    if key == "mine":
        row.since, row.anchor = f"登记于 {since_zh(ticket.created_at, now)}", "action-submit"
    elif key == "online":
        row.since, row.anchor = f"送达于 {since_zh(ticket.created_at, now)}", "action-submit"
    elif key == "callbacks":
        row.since, row.anchor = f"答复于 {since_zh(ticket.replied_at, now)}", "action-callback"
    elif key == "dispatch":
        row.since, row.anchor = f"已等待 {_waited(ticket.submitted_at or ticket.created_at, now)}", "action-dispatch"
    elif key == "returned":
        event = extra.get(ticket.id)
        row.since, row.anchor = f"退回于 {since_zh(ticket.returned_at, now)}", "action-dispatch"
        if event is not None:
            unit = event.actor_unit.name if event.actor_unit else "承办单位"
            row.note = f"{unit}退回：{event.note or ''}"
    elif key == "accept":
        row.anchor = "action-accept"
    elif key == "doing":
        row.anchor = "action-reply"
    elif isinstance(entity, ExtensionRequest):
        _extension(row, entity, now, deciding=key == "decide")
    elif isinstance(entity, RectificationNotice):
        _notice(row, entity, now, notice_clocks.get(entity.id))
    elif entity is not None:  # a deadline row: its own clock first
        kind = DeadlineKind(entity.kind)
        own = countdown(kind.value, DEADLINE_KIND_LABELS[kind], entity.due_at, now, entity.warn_at)
        row.countdowns = [own] + [c for c in row.countdowns if c.kind != own.kind]
        row.note = entity.unit.name if entity.unit else ""


def _waited(start: datetime, now: datetime) -> str:
    return since_zh(start, now).removesuffix("前") or "不到 1 分钟"


def _extension(row: Row, x: ExtensionRequest, now: datetime, *, deciding: bool) -> None:
    asked = f"{x.unit.name}申请延期 {x.hours} 小时：{x.reason}"
    if x.status == "pending":
        row.note, row.note_tone = f"{asked}（待审批）", "warning"
        row.since = f"申请于 {since_zh(x.created_at, now)}"
        row.anchor = "action-decide-extension" if deciding else "deadlines"
        return
    outcome = EXTENSION_LABELS.get(x.status, x.status)
    who = x.decided_by.display_name if x.decided_by else ""
    row.note = f"{asked}（{outcome}{'，' + who if who else ''}{'：' + x.decision_note if x.decision_note else ''}）"
    row.note_tone = "normal" if x.status == "approved" else "overdue"
    row.since = f"审批于 {since_zh(x.decided_at or x.created_at, now)}"
    row.anchor = "deadlines"


def _notice(row: Row, notice: RectificationNotice, now: datetime, deadline) -> None:
    warn_at = deadline.warn_at if deadline is not None else None
    label = DEADLINE_KIND_LABELS[DeadlineKind.RECTIFICATION]
    row.countdowns = [countdown("rectification", label, notice.due_at, now, warn_at)] + [
        c for c in row.countdowns if c.kind != "rectification"
    ]
    row.note = f"整改通知书：{notice.content}"
    row.since = f"下发于 {since_zh(notice.issued_at, now)}"
    row.case_id = notice.case_id
