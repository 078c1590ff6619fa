"""Reading tickets, always through what the user may see."""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

from sqlalchemy import Integer, any_, bindparam, cast, exists, false, func, literal_column, or_, select, true
from sqlalchemy.orm import aliased, defaultload, joinedload, selectinload, with_expression

from ..accounts.models import Role, User
from ..categories.models import Category
from ..core import txcache
from ..core.errors import NotFound
from ..extensions import db
from ..sla import services as deadlines
from ..sla.models import Deadline
from ..units.models import Unit
from . import permissions, text_search
from .models import Callback, ExtensionRequest, Reply, Ticket, TicketEvent, ticket_assist_units

# What rendering a ticket needs, loaded in a fixed number of queries whatever the page size.
TICKET_LOAD = (selectinload(Ticket.category).selectinload(Category.parent),)
# One ticket (its page, its detail, an action on it): the category, its parent and the
# assisting units come in the ticket's own statement. Not read (every column costs the
# driver and the ORM work in every request): the categories' default lead units (a dispatch
# without a lead unit reads its category's with the units it names), of the parent category
# anything but its code and name, and of the user who recorded the ticket anything but the
# names the answer shows; what is read anyway is loaded by its key.
ONE_TICKET_LOAD = (
    joinedload(Ticket.category).joinedload(Category.parent).load_only(Category.code, Category.name),
    joinedload(Ticket.category).joinedload(Category.parent).lazyload(Category.default_lead_unit),
    joinedload(Ticket.category).lazyload(Category.default_lead_unit),
    joinedload(Ticket.assist_units),
    defaultload(Ticket.created_by).load_only(User.username, User.display_name),
    defaultload(Ticket.created_by).lazyload(User.unit),
)


def visible_clause(user, *, by_index: bool = False):
    """A WHERE clause limiting tickets to those ``user`` may see (``by_index``: see unit_clause)."""
    if user.role in permissions.ALL_TICKETS_ROLES:
        return true()
    if user.role == Role.UNIT_STAFF and user.unit_id is not None:
        return unit_clause(user.unit_id, by_index=by_index)
    return false()


def unit_clause(unit_id: int, *, by_index: bool = False):
    """The tickets a unit leads or assists.

    As ``lead_unit_id = :unit OR EXISTS (assisted)``, PostgreSQL walks another index (a status's,
    by time) and checks each row against the hashed set of assisted ids: right for a list of one
    status, but a unit's whole list then reads every ticket to count it. ``by_index`` (for lists
    without a status, on PostgreSQL) writes the assisted ids as ``id = ANY(ARRAY(...))``, so the
    two halves are two index scans OR-ed in a bitmap (EXPLAIN ANALYZE in the README's Benchmarks).
    """
    assisted_ids = select(ticket_assist_units.c.ticket_id).where(ticket_assist_units.c.unit_id == unit_id)
    if by_index and db.session.get_bind().dialect.name == "postgresql":
        return or_(Ticket.lead_unit_id == unit_id, Ticket.id == any_(func.array(assisted_ids.scalar_subquery())))
    assisted = exists().where(ticket_assist_units.c.ticket_id == Ticket.id, ticket_assist_units.c.unit_id == unit_id)
    return or_(Ticket.lead_unit_id == unit_id, assisted)


_DUPLICATE = aliased(Ticket)


def _none_kept(name: str):
    def when_absent(ticket_id: int) -> None:
        txcache.get(db.session(), (name, ticket_id), list)

    return when_absent


# What the one-ticket statement asks besides the ticket: whether each of these has rows
# (an EXISTS each, in one integer, a bit each, in this order), and what to do in the
# transaction when one has none (``when_absent(ticket_id)``), so that nothing reads them.
# First the collections a ticket's answer lists besides its events (which are never empty):
# most tickets have no callbacks, extension requests or duplicates, and none has a reply
# before its unit answers nor deadlines before its first dispatch: four or five statements
# fewer per action and detail. Other domains add theirs (ask_with_ticket).
COLLECTIONS = (
    ("replies", exists().where(Reply.ticket_id == Ticket.id), _none_kept("replies")),
    ("callbacks", exists().where(Callback.ticket_id == Ticket.id), _none_kept("callbacks")),
    (
        "extension_requests",
        exists().where(ExtensionRequest.ticket_id == Ticket.id),
        _none_kept("extension_requests"),
    ),
    ("duplicates", exists().where(_DUPLICATE.duplicate_of_id == Ticket.id), _none_kept("duplicates")),
    ("deadlines", exists().where(Deadline.ticket_id == Ticket.id), deadlines.known_none),
)
_ASKED: dict[str, tuple] = {}


def ask_with_ticket(name: str, present, when_absent) -> None:
    """Another domain's question about a ticket, asked in the one-ticket statement (from its
    ``init_app``): ``present``, a boolean SQL expression on ``Ticket`` (an EXISTS); when it is
    false, ``when_absent(ticket_id)`` runs in the transaction (to remember that there is
    nothing to read). Asking again under the same name replaces the question."""
    _ASKED[name] = (name, present, when_absent)
    _one_ticket.cache_clear()


@functools.cache
def _one_ticket():
    checks = (*COLLECTIONS, *_ASKED.values())
    # CAST(EXISTS (...) AS INTEGER) * 2^bit, the factors written in the SQL: the statement's
    # text stays under the 4,096 bytes up to which psycopg caches its conversion of a query
    # (above, about 250 more Python calls in every request).
    present = functools.reduce(
        operator.add,
        (
            cast(exists_, Integer) * literal_column(str(1 << bit)) if bit else cast(exists_, Integer)
            for bit, (_name, exists_, _f) in enumerate(checks)
        ),
    )
    statement = (
        select(Ticket)
        .options(*ONE_TICKET_LOAD, with_expression(Ticket.collections_present, present))
        .where(Ticket.number == bindparam("number"))
    )
    return statement, tuple(when_absent for _name, _exists, when_absent in checks)


def get_visible(user, number: str) -> Ticket:
    """The ticket, or NotFound when it does not exist or this user may not see it."""
    statement, when_absent = _one_ticket()
    ticket = db.session.scalars(statement, {"number": number}).unique().first()
    if ticket is None or not permissions.can_view(user, ticket):
        raise NotFound(f"No ticket {number}.", message_zh="工单不存在。", code="ticket_not_found")
    present = ticket.collections_present
    if present is not None:  # None: the ticket was loaded by another statement first
        for bit, absent in enumerate(when_absent):
            if not present & (1 << bit):
                absent(ticket.id)
        # Used once: were the ticket read again in this transaction (after a savepoint, say,
        # whose end drops what was kept), its statement asks again instead of this answer
        # being trusted a second time.
        db.session.expire(ticket, ["collections_present"])
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


def statement(
    user,
    *,
    status: str | None = None,
    unit_id: int | None = None,
    request_type: str | None = None,
    q: str | None = None,
    caller_id: int | None = None,
    clauses=(),
    dense_text: bool = False,
):
    """SELECT the tickets ``user`` may see that match these filters (``clauses``: more
    WHERE clauses, e.g. :func:`hotline.tickets.listing.where`), unordered. Without a status,
    a unit's tickets are found by two index scans (see unit_clause). ``dense_text``: the text
    matches many of the tickets of the unit it is limited to (see search)."""
    by_index = not status
    stmt = select(Ticket).where(visible_clause(user, by_index=by_index), *clauses)
    if status:
        stmt = stmt.where(Ticket.status == status)
    if unit_id is not None:
        stmt = stmt.where(unit_clause(unit_id, by_index=by_index))
    if request_type:
        stmt = stmt.where(Ticket.request_type == request_type)
    if caller_id is not None:
        stmt = stmt.where(Ticket.caller_id == caller_id)
    if q:
        stmt = stmt.where(text_clause(q, units=_scope_units(user, unit_id), dense=dense_text))
    return stmt


def _scope_units(user, unit_id: int | None) -> list[int]:
    """The units whose tickets alone a text search needs to look at: the staff's own unit (it
    sees nothing else) and the unit asked for."""
    units = []
    if user.role not in permissions.ALL_TICKETS_ROLES and user.role == Role.UNIT_STAFF and user.unit_id is not None:
        units.append(user.unit_id)
    if unit_id is not None and unit_id not in units:
        units.append(unit_id)
    return units


def search(
    user,
    *,
    status: str | None = None,
    unit_id: int | None = None,
    request_type: str | None = None,
    q: str | None = None,
    caller_id: int | None = None,
    clauses=(),
    order_by=None,
    page: int = 1,
    per_page: int = 20,
    count_limit: int | None = None,
) -> Page:
    """A page of the tickets ``user`` may see, newest first unless ``order_by``. ``count_limit``:
    count at most that many (a list of a year of a big city would count a million rows on every page).

    A text search limited to a unit (its staff's, or the unit asked for) counts among that
    unit's matches (text_clause's scope); its page too, unless they are more than
    ``count_limit``: then reading them all to sort them costs more than walking the tickets
    newest first, testing each, until a page is found (路灯 in the busiest unit of the city: 1
    match of its 50,000 tickets, read from the index; 噪音: 5,600, found walking)."""
    filters = dict(status=status, unit_id=unit_id, request_type=request_type, q=q, caller_id=caller_id, clauses=clauses)
    stmt = statement(user, **filters)
    if count_limit is not None and _many_among_newest(user, filters, count_limit):
        total, capped = count_limit, True
    else:
        counted = stmt.order_by(None).with_only_columns(Ticket.id)
        if count_limit is not None:
            counted = counted.limit(count_limit + 1)
        total = db.session.scalar(select(func.count()).select_from(counted.subquery()))
        capped = count_limit is not None and total > count_limit
    if capped and q:
        stmt = statement(user, **filters, dense_text=True)
    items = list(
        db.session.scalars(
            stmt.options(*TICKET_LOAD)
            .order_by(*(order_by or (Ticket.created_at.desc(), Ticket.id.desc())))
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=count_limit if capped else total, page=page, per_page=per_page, total_capped=capped)


# How many of the newest tickets a text search tests one by one before it counts its matches
# from the index (_many_among_newest).
PROBE_ROWS = 10_000


def _many_among_newest(user, filters: dict, count_limit: int) -> bool:
    """PostgreSQL, a search by text alone by a user who sees every ticket: whether the newest
    ``PROBE_ROWS`` tickets already hold more than ``count_limit`` matches, tested ticket by
    ticket. Then the count stops there without the index's bitmap of every match, which for a
    phrase found in an eighth of a big city's tickets (124,756 of a million) costs 95 ms of
    index work however low the cap (README, Benchmarks); a rarer phrase is counted from the
    index as before, after at most ``PROBE_ROWS`` cheap tests."""
    q = filters["q"]
    others = [filters[k] for k in ("status", "unit_id", "request_type", "caller_id")]
    if not q or any(v is not None for v in others) or filters["clauses"] or _NUMBER.match(q):
        return False
    if db.session.get_bind().dialect.name != "postgresql" or _scope_units(user, None):
        return False
    newest = (
        statement(user, **{**filters, "q": None})
        .with_only_columns(Ticket.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(PROBE_ROWS)
        .subquery()
    )
    matches = text_search.row_matches(q, newest.c.id)
    if matches is None:
        return False
    found = select(newest.c.id).where(matches).limit(count_limit + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(found)) > count_limit


# A ticket's number as people type it: 20261121-000123, with or without the hyphen.
_NUMBER = re.compile(r"^\s*([0-9]{8})-?([0-9]{6})\s*$")


def text_clause(q: str, *, units=(), dense: bool = False):
    """Tickets whose number is ``q``, or whose content or address contains it (from the text
    index, see text_search). ``units``: the caller also limits the tickets to those each of
    these units leads or assists (with unit_clause or visible_clause): on PostgreSQL the index
    then looks only among those (text_search's scope lexemes), a pre-filter, not the limit.
    ``dense``: they have many matches, so on PostgreSQL each ticket is tested in the query's
    order instead (text_search.row_matches)."""
    number = _NUMBER.match(q)
    if number:
        return Ticket.number == f"{number[1]}-{number[2]}"
    dialect = db.session.get_bind().dialect.name
    if dense and dialect == "postgresql":
        matches = text_search.row_matches(q, Ticket.id, units=units)
        return false() if matches is None else matches
    matching = text_search.matching_ids(q, dialect, units=units)
    return false() if matching is None else Ticket.id.in_(matching)


# The collections of a ticket's answer (the API's detail, the ticket's page) show a user's
# username and name and a unit's code and name, nothing else of them: only those columns are
# read (a user's unit, which the model joins by default, not at all). A user or unit already
# loaded in the transaction (the signed-in user, the ticket's units) stays as it was; the
# rest of one loaded here, if ever read, is loaded by its key.
_BY_TICKET = bindparam("ticket_id")


def _names(*path):
    """Load options for the users and units at the end of ``path``: their names only."""
    options = []
    for relationship in path:
        if relationship.property.mapper.class_ is User:
            load = defaultload(relationship)
            options += [load.load_only(User.username, User.display_name), load.lazyload(User.unit)]
        else:
            options.append(defaultload(relationship).load_only(Unit.code, Unit.name))
    return options


_EVENTS = (
    select(TicketEvent)
    .options(*_names(TicketEvent.actor, TicketEvent.actor_unit))
    .where(TicketEvent.ticket_id == _BY_TICKET)
    .order_by(TicketEvent.id)
)
_REPLIES = (
    select(Reply).options(*_names(Reply.unit, Reply.author)).where(Reply.ticket_id == _BY_TICKET).order_by(Reply.id)
)
_CALLBACKS = (
    select(Callback).options(*_names(Callback.operator)).where(Callback.ticket_id == _BY_TICKET).order_by(Callback.id)
)
_EXTENSION_REQUESTS = (
    select(ExtensionRequest)
    .options(*_names(ExtensionRequest.unit, ExtensionRequest.requested_by, ExtensionRequest.decided_by))
    .where(ExtensionRequest.ticket_id == _BY_TICKET)
    .order_by(ExtensionRequest.id)
)
# The answer lists the duplicates' numbers only.
_DUPLICATE_NUMBERS = select(Ticket.number).where(Ticket.duplicate_of_id == _BY_TICKET).order_by(Ticket.id)


def events(ticket: Ticket) -> list[TicketEvent]:
    return list(db.session.scalars(_EVENTS, {"ticket_id": ticket.id}))


def _kept(ticket: Ticket, name: str, statement) -> list:
    """A collection of the ticket: the list this transaction started (get_visible, when it
    found none) or read, else read now and kept until the transaction ends."""

    def load():
        return list(db.session.scalars(statement, {"ticket_id": ticket.id}))

    return txcache.get(db.session(), (name, ticket.id), load)


def replies(ticket: Ticket) -> list[Reply]:
    return _kept(ticket, "replies", _REPLIES)


def callbacks(ticket: Ticket) -> list[Callback]:
    return _kept(ticket, "callbacks", _CALLBACKS)


def extension_requests(ticket: Ticket) -> list[ExtensionRequest]:
    """The ticket's extension requests, oldest first: read once per transaction, so that the
    services that decide or withdraw one and the ticket's answer share the objects (a new
    request is flushed in a savepoint, whose end drops what was read)."""

    return _kept(ticket, "extension_requests", _EXTENSION_REQUESTS)


def duplicate_numbers(ticket: Ticket) -> list[str]:
    """The numbers of the tickets merged into ``ticket``, oldest first."""
    return _kept(ticket, "duplicates", _DUPLICATE_NUMBERS)


def open_since(user, caller_id: int, since) -> list[Ticket]:
    """The caller's tickets still open (not closed or merged) and recorded at or after
    ``since``, newest first, among those ``user`` may see: a repeat caller's (重复来电)."""
    from .states import FINAL_STATES

    stmt = (
        select(Ticket)
        .options(*TICKET_LOAD)
        .where(
            Ticket.caller_id == caller_id,
            Ticket.created_at >= since,
            Ticket.status.not_in([s.value for s in FINAL_STATES]),
            visible_clause(user),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(5)
    )
    return list(db.session.scalars(stmt))
