"""Reading tickets, always through what the user may see."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import false, func, select, true, union_all
from sqlalchemy.orm import selectinload

from ..accounts.models import Role
from ..categories.models import Category
from ..core.errors import NotFound
from ..extensions import db
from . import permissions, text_search
from .models import Callback, ExtensionRequest, Reply, Ticket, TicketEvent, ticket_assist_units

# What rendering a ticket needs, loaded in a fixed number of queries whatever the page size.
TICKET_LOAD = (selectinload(Ticket.category).selectinload(Category.parent),)


def visible_clause(user):
    """A WHERE clause limiting tickets to those ``user`` may see."""
    if user.role in permissions.ALL_TICKETS_ROLES:
        return true()
    if user.role == Role.UNIT_STAFF and user.unit_id is not None:
        return Ticket.id.in_(unit_ticket_ids(user.unit_id))
    return false()


def unit_ticket_ids(unit_id: int):
    """The ids of the tickets a unit leads or assists: two index scans. (Written as
    ``lead_unit_id = :unit OR EXISTS (assisted)``, PostgreSQL can use no index for the OR
    and reads every ticket to count a unit's list: see the README's Benchmarks.)"""
    return union_all(
        select(Ticket.id).where(Ticket.lead_unit_id == unit_id),
        select(ticket_assist_units.c.ticket_id).where(ticket_assist_units.c.unit_id == unit_id),
    )


def get_visible(user, number: str) -> Ticket:
    """The ticket, or NotFound when it does not exist or this user may not see it."""
    ticket = db.session.scalar(select(Ticket).options(*TICKET_LOAD).where(Ticket.number == number))
    if ticket is None or not permissions.can_view(user, ticket):
        raise NotFound(f"No ticket {number}.", message_zh="工单不存在。", code="ticket_not_found")
    return ticket


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int
    total_capped: bool = False  # there are more than ``total`` (the count stopped there)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    user,
    *,
    status: str | None = None,
    unit_id: int | None = None,
    request_type: str | None = None,
    q: str | None = None,
    caller_id: int | None = None,
    page: int = 1,
    per_page: int = 20,
    count_limit: int | None = None,
) -> Page:
    """A page of the tickets ``user`` may see, newest first. ``count_limit``: count at most
    that many (a list of a year of a big city would count a million rows on every page)."""
    stmt = select(Ticket).where(visible_clause(user))
    if status:
        stmt = stmt.where(Ticket.status == status)
    if unit_id is not None:
        stmt = stmt.where(Ticket.id.in_(unit_ticket_ids(unit_id)))
    if request_type:
        stmt = stmt.where(Ticket.request_type == request_type)
    if caller_id is not None:
        stmt = stmt.where(Ticket.caller_id == caller_id)
    if q:
        stmt = stmt.where(text_clause(q))
    counted = stmt.order_by(None).with_only_columns(Ticket.id)
    if count_limit is not None:
        counted = counted.limit(count_limit + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    capped = count_limit is not None and total > count_limit
    items = list(
        db.session.scalars(
            stmt.options(*TICKET_LOAD)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=count_limit if capped else total, page=page, per_page=per_page, total_capped=capped)


# A ticket's number as people type it: 20261121-000123, with or without the hyphen.
_NUMBER = re.compile(r"^\s*([0-9]{8})-?([0-9]{6})\s*$")


def text_clause(q: str):
    """Tickets whose number is ``q``, or whose content or address contains it (from the text
    index, see text_search)."""
    number = _NUMBER.match(q)
    if number:
        return Ticket.number == f"{number[1]}-{number[2]}"
    matching = text_search.matching_ids(q, db.session.get_bind().dialect.name)
    return false() if matching is None else Ticket.id.in_(matching)


def events(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))
    )


def replies(ticket: Ticket) -> list[Reply]:
    return list(db.session.scalars(select(Reply).where(Reply.ticket_id == ticket.id).order_by(Reply.id)))


def callbacks(ticket: Ticket) -> list[Callback]:
    return list(db.session.scalars(select(Callback).where(Callback.ticket_id == ticket.id).order_by(Callback.id)))


def extension_requests(ticket: Ticket) -> list[ExtensionRequest]:
    return list(
        db.session.scalars(
            select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id).order_by(ExtensionRequest.id)
        )
    )


def duplicates(ticket: Ticket) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).where(Ticket.duplicate_of_id == ticket.id).order_by(Ticket.id)))
