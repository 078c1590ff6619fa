"""``GET requests`` and ``GET requests/<id>``: tickets as service requests, newest first,
at most :data:`~.services.MAX_REQUESTS`, in at most :data:`~.services.MAX_RANGE_DAYS`
days. Nothing personal: the caller's name, phone and e-mail never; numbers in the
description, address and reply masked. A ticket is ``open`` until closed or merged; the
stage (as the progress lookup words it) and the published reply are its ``status_notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ...categories.models import Category
from ...core import clock
from ...core.privacy import mask_personal_numbers
from ...extensions import db
from ...tickets.models import Reply, Ticket, TicketEvent
from ...tickets.states import Status
from ...units.models import Unit
from ..progress import STAGES
from .models import Open311Request
from .services import MAX_RANGE_DAYS, MAX_REQUESTS, Open311Error, bad

MAX_IDS = 100  # service_request_id=...: at most this many numbers at once

OPEN_STATUSES = tuple(
    s.value
    for s in (
        Status.NEW,
        Status.PENDING_DISPATCH,
        Status.RETURNED,
        Status.DISPATCHED,
        Status.ACCEPTED,
        Status.REPLIED,
    )
)
CLOSED_STATUSES = (Status.CLOSED.value, Status.MERGED.value)


@dataclass(frozen=True)
class Query:
    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")


def _list(args, name: str) -> tuple[str, ...]:
    """A comma-delimited parameter, possibly given several times; each value one printable
    line of at most 64 characters (PostgreSQL refuses NUL where SQLite compares it)."""
    values = []
    for raw in args.getlist(name):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if not _VALUE.match(value):
            raise bad(f"{name}: each value must be printable text of at most 64 characters.")
    return tuple(dict.fromkeys(values))


def _when(args, name: str) -> datetime | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    text = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    text = re.sub(r" (\d\d:\d\d)$", r"+\1", text)  # a "+" sent unencoded arrives as a space
    try:
        if len(text) == 10:  # a date alone (W3C's YYYY-MM-DD): its start, local time
            text += "T00:00:00"
        return clock.parse_iso(text)
    except ValueError:
        raise bad(f"{name} is not a W3C date and time (e.g. 2010-01-01T00:00:00Z): {raw[:40]!r}.") from None


def parse_query(args, *, now: datetime) -> Query:
    """``GET requests``' filters. ``service_request_id`` overrides the others (the spec)."""
    numbers = _list(args, "service_request_id")
    if numbers:
        if len(numbers) > MAX_IDS:
            raise bad(f"service_request_id: at most {MAX_IDS} ids at once.")
        return Query(numbers=numbers)
    statuses = _list(args, "status")
    for status in statuses:
        if status not in ("open", "closed"):
            raise bad(f"status must be open or closed (comma delimited): {status[:20]!r}.")
    start, end = _when(args, "start_date"), _when(args, "end_date")
    span = timedelta(days=MAX_RANGE_DAYS)
    if start is None and end is None:
        start, end = now - span, now
    elif start is None:
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise bad("end_date is before start_date.")
    if end - start > span:
        raise bad(f"start_date and end_date may not span more than {MAX_RANGE_DAYS} days.")
    return Query(service_codes=_list(args, "service_code"), start=start, end=end, statuses=tuple(statuses))


_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.status,
    Ticket.content,
    Ticket.address,
    Ticket.category_id,
    Ticket.lead_unit_id,
    Ticket.duplicate_of_id,
    Ticket.answer_text,
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.closed_at,
    Ticket.merged_at,
    Ticket.reply_due_at,
    Open311Request.lat,
    Open311Request.long,
    Open311Request.address_id,
    Open311Request.media_url,
    # The ticket's last event (events are appended in time order): one probe of
    # ix_ticket_events_ticket_id_id per row answered.
    select(TicketEvent.at)
    .where(TicketEvent.ticket_id == Ticket.id)
    .order_by(TicketEvent.id.desc())
    .limit(1)
    .correlate(Ticket)
    .scalar_subquery()
    .label("last_event_at"),
)


def find_requests(query: Query) -> list:
    """The matching tickets' rows, newest first, at most :data:`MAX_REQUESTS`."""
    return list(db.session.execute(listing_statement(query)))


def listing_statement(query: Query):
    """Served by ix_tickets_created_at read backwards (or ix_tickets_status_created), stopped
    after :data:`MAX_REQUESTS` rows: the cost does not grow with the tickets in the range."""
    stmt = select(*_COLUMNS).outerjoin(Open311Request, Open311Request.ticket_id == Ticket.id)
    if query.numbers:
        stmt = stmt.where(Ticket.number.in_(query.numbers))
    else:
        stmt = stmt.where(Ticket.created_at >= query.start, Ticket.created_at <= query.end)
        if query.service_codes:
            ids = select(Category.id).where(Category.code.in_(query.service_codes))
            stmt = stmt.where(Ticket.category_id.in_(ids))
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            wanted = OPEN_STATUSES if query.statuses == ("open",) else CLOSED_STATUSES
            stmt = stmt.where(Ticket.status.in_(wanted))
    return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_REQUESTS)


def find_request(number: str):
    rows = find_requests(Query(numbers=(number,)))
    if not rows:
        raise Open311Error(404, f"service_request_id provided was not found: {number[:40]!r}.")
    return rows


def _published_replies(rows) -> dict[int, str]:
    """The latest unit reply of each replied or closed ticket (answered-on-call ones have theirs)."""
    ids = [r.id for r in rows if r.status in (Status.REPLIED.value, Status.CLOSED.value) and r.lead_unit_id]
    replies: dict[int, str] = {}
    if ids:
        stmt = (
            select(Reply.ticket_id, Reply.content)
            .where(Reply.ticket_id.in_(ids))
            .order_by(Reply.ticket_id, Reply.created_at.desc(), Reply.id.desc())
        )
        for ticket_id, content in db.session.execute(stmt):
            replies.setdefault(ticket_id, content)
    return replies


def _status_notes(row, reply: str | None, merged_into: str | None) -> str:
    status = Status(row.status)
    notes = STAGES[status]
    if status == Status.MERGED and merged_into:
        notes += f"（并入工单 {merged_into}）"
    if status == Status.CLOSED and row.answer_text and not row.lead_unit_id:
        reply = row.answer_text
    if reply and status in (Status.REPLIED, Status.CLOSED):
        notes += f"。答复：{_masked(reply)}"
    return notes


_DIGITS = re.compile(r"[0-9０-９]{3}")


def _masked(text: str | None) -> str | None:
    """``text`` with personal numbers masked (every such number has three digits in a row)."""
    return mask_personal_numbers(text) if text and _DIGITS.search(text) else text


def _iso(value: datetime | None, zone=None) -> str | None:
    """W3C time with the centre's offset (``zone``: the centre's, looked up once per answer)."""
    if value is None:
        return None
    return clock.ensure_utc(value).astimezone(zone or clock.local_zone()).isoformat(timespec="seconds")


def request_documents(rows) -> list[dict]:
    """The ``request`` elements of the rows, with the spec's fields in its order."""
    if not rows:
        return []
    categories = {
        c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_({r.category_id for r in rows})))
    }
    unit_ids = {r.lead_unit_id for r in rows if r.lead_unit_id}
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    target_ids = {r.duplicate_of_id for r in rows if r.duplicate_of_id}
    targets = (
        dict(db.session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(target_ids))).all())
        if target_ids
        else {}
    )
    replies = _published_replies(rows)
    zone = clock.local_zone()
    documents = []
    for row in rows:
        category = categories[row.category_id]
        closed = row.status in CLOSED_STATUSES
        updated = (row.closed_at or row.merged_at) if closed else None
        updated = updated or max(filter(None, (row.last_event_at, row.updated_at)))
        documents.append(
            {
                "service_request_id": row.number,
                "status": "closed" if closed else "open",
                "status_notes": _status_notes(row, replies.get(row.id), targets.get(row.duplicate_of_id)),
                "service_name": category.name,
                "service_code": category.code,
                "description": _masked(row.content),
                "agency_responsible": units.get(row.lead_unit_id),
                "service_notice": None,
                "requested_datetime": _iso(row.created_at, zone),
                "updated_datetime": _iso(updated, zone),
                "expected_datetime": _iso(row.reply_due_at, zone) if not closed else None,
                "address": _masked(row.address),
                "address_id": row.address_id,
                "zipcode": None,
                "lat": row.lat,
                "long": row.long,
                "media_url": row.media_url,
            }
        )
    return documents
