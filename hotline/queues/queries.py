"""The work queues in SQL: each one a filtered, ordered SELECT read a page at a time.

Every statement is limited to what the user may see (``visible_clause``) and, for unit
staff, to their own unit; the counts are ``SELECT count(*)`` over the same statement.
Nothing loads a whole queue into Python: a page is LIMIT/OFFSET, an export a bounded
stream (:mod:`hotline.queues.export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.channel_accounts import channel_account_ids
from ..categories.models import Category
from ..extensions import db
from ..sla.models import Deadline, DeadlineKind
from ..supervision.models import NoticeStatus, RectificationNotice, SupervisionCase
from ..supervision.services import NOTICE_DEADLINE_SOURCE
from ..tickets import listing
from ..tickets.models import ExtensionRequest, ExtensionStatus, Ticket
from ..tickets.queries import Page, visible_clause
from ..tickets.states import Status
from .definitions import DEADLINES, DECIDED_DAYS, DUE_SOON_HOURS, EXTENSIONS, NOTICES, TICKETS, Queue

TICKET_LOAD = (selectinload(Ticket.category).selectinload(Category.parent), selectinload(Ticket.assist_units))
TICKET_CLOCKS = (DeadlineKind.ACCEPT.value, DeadlineKind.REPLY.value)


@dataclass(frozen=True)
class Statement:
    stmt: object  # SELECT Ticket, or SELECT <entity>, Ticket
    order: tuple  # the queue's own order


def _accept_due():
    """The ticket's open accept deadline (a correlated scalar, for ordering a unit's few rows)."""
    return (
        select(func.min(Deadline.due_at))
        .where(
            Deadline.ticket_id == Ticket.id,
            Deadline.kind == DeadlineKind.ACCEPT.value,
            Deadline.stopped_at.is_(None),
        )
        .scalar_subquery()
    )


def _ticket_queue(queue: Queue, user) -> Statement:
    own_unit = Ticket.lead_unit_id == user.unit_id
    if queue.key == "mine":
        return Statement(
            select(Ticket).where(Ticket.created_by_id == user.id, Ticket.status == Status.NEW.value),
            (Ticket.created_at, Ticket.id),
        )
    if queue.key == "triage":  # citizens' own channels: recorded by a channel account
        return Statement(
            select(Ticket).where(Ticket.status == Status.NEW.value, Ticket.created_by_id.in_(channel_account_ids())),
            (Ticket.created_at, Ticket.id),
        )
    if queue.key == "callbacks":
        return Statement(select(Ticket).where(Ticket.status == Status.REPLIED.value), (Ticket.replied_at, Ticket.id))
    if queue.key == "dispatch":
        return Statement(
            select(Ticket).where(Ticket.status == Status.PENDING_DISPATCH.value),
            (func.coalesce(Ticket.submitted_at, Ticket.created_at), Ticket.id),
        )
    if queue.key == "returned":
        return Statement(select(Ticket).where(Ticket.status == Status.RETURNED.value), (Ticket.returned_at, Ticket.id))
    if queue.key == "accept":
        return Statement(
            select(Ticket).where(Ticket.status == Status.DISPATCHED.value, own_unit),
            (func.coalesce(_accept_due(), Ticket.reply_due_at), Ticket.id),
        )
    if queue.key == "doing":
        return Statement(
            select(Ticket).where(Ticket.status == Status.ACCEPTED.value, own_unit), (Ticket.reply_due_at, Ticket.id)
        )
    raise KeyError(queue.key)


def _extension_queue(queue: Queue, user, now: datetime) -> Statement:
    pending = ExtensionRequest.status == ExtensionStatus.PENDING.value
    stmt = select(ExtensionRequest, Ticket).join(Ticket, Ticket.id == ExtensionRequest.ticket_id)
    if queue.key == "decide":
        return Statement(stmt.where(pending), (ExtensionRequest.created_at, ExtensionRequest.id))
    recent = ExtensionRequest.decided_at >= now - timedelta(days=DECIDED_DAYS)
    return Statement(
        stmt.where(ExtensionRequest.unit_id == user.unit_id, or_(pending, recent)),
        (
            case((pending, 0), else_=1),
            func.coalesce(ExtensionRequest.decided_at, ExtensionRequest.created_at).desc(),
            ExtensionRequest.id.desc(),
        ),
    )


def _notice_queue(user) -> Statement:
    stmt = (
        select(RectificationNotice, Ticket)
        .join(SupervisionCase, SupervisionCase.id == RectificationNotice.case_id)
        .join(Ticket, Ticket.id == SupervisionCase.ticket_id)
        .where(RectificationNotice.unit_id == user.unit_id, RectificationNotice.status == NoticeStatus.ISSUED.value)
    )
    return Statement(stmt, (RectificationNotice.due_at, RectificationNotice.id))


def _deadline_queue(queue: Queue, now: datetime) -> Statement:
    where = [Deadline.stopped_at.is_(None), Deadline.kind.in_(TICKET_CLOCKS)]
    if queue.key == "due-soon":
        where += [Deadline.due_at >= now, Deadline.due_at < now + timedelta(hours=DUE_SOON_HOURS)]
    else:
        where.append(Deadline.due_at < now)
    stmt = select(Deadline, Ticket).join(Ticket, Ticket.id == Deadline.ticket_id).where(*where)
    return Statement(stmt, (Deadline.due_at, Deadline.id))


def statement(queue: Queue, user, now: datetime, clauses=()) -> Statement:
    """The queue's SELECT for ``user``, with more WHERE clauses on ``Ticket`` (the filters)."""
    if queue.kind == TICKETS:
        found = _ticket_queue(queue, user)
    elif queue.kind == EXTENSIONS:
        found = _extension_queue(queue, user, now)
    elif queue.kind == NOTICES:
        found = _notice_queue(user)
    else:
        found = _deadline_queue(queue, now)
    return Statement(found.stmt.where(visible_clause(user), *clauses), found.order)


def order_for(queue: Queue, found: Statement, sort: str) -> tuple:
    """The queue's own order for the default sort and for "by deadline" where its rows are
    deadlines (a deadline queue is already by deadline); otherwise the list's sort."""
    if sort == "newest" or (sort == "deadline" and queue.kind in (DEADLINES, NOTICES)):
        return found.order
    return listing.order_by(sort)


def count(queue: Queue, user, now: datetime, clauses=()) -> int:
    found = statement(queue, user, now, clauses)
    return db.session.scalar(select(func.count()).select_from(found.stmt.order_by(None).subquery())) or 0


def counts(queues, user, now: datetime) -> dict[str, int]:
    return {q.key: count(q, user, now) for q in queues}


def page(queue: Queue, user, now: datetime, *, clauses=(), sort: str = "newest", number: int = 1, per_page: int = 25):
    """One page of the queue: ``Page.items`` are (entity or None, Ticket) pairs."""
    found = statement(queue, user, now, clauses)
    total = db.session.scalar(select(func.count()).select_from(found.stmt.order_by(None).subquery())) or 0
    rows = rows_of(
        queue, found.stmt.order_by(*order_for(queue, found, sort)).limit(per_page).offset((number - 1) * per_page)
    )
    return Page(items=rows, total=total, page=number, per_page=per_page)


def rows_of(queue: Queue, stmt) -> list[tuple]:
    stmt = stmt.options(*TICKET_LOAD)
    if queue.kind == TICKETS:
        return [(None, t) for t in db.session.scalars(stmt).unique()]
    return [(entity, t) for entity, t in db.session.execute(stmt).unique()]


def notice_deadlines(notice_ids) -> dict[int, Deadline]:
    """notice id → its open rectification deadline (for the warning point)."""
    ids = [str(i) for i in notice_ids]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Deadline).where(
            Deadline.source_type == NOTICE_DEADLINE_SOURCE,
            Deadline.source_id.in_(ids),
            Deadline.stopped_at.is_(None),
        )
    )
    return {int(d.source_id): d for d in rows}
