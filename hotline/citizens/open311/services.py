"""GeoReport v2 over the ticket: our categories as services, tickets as service requests.

- ``service_list`` / ``service_definition``: every active category is a service (its
  parent's name is the group); a definition has one optional attribute, the request type
  (诉求类型), since every ticket has one;
- ``create_request``: ``POST requests`` becomes a ticket with channel ``open311``, recorded
  by the Open311 system account in status ``new``: it waits in the operators' 网上来件
  queue to be read before dispatch, as every ticket that did not come by phone;
- ``find_requests`` / ``request_documents``: ``GET requests``, newest first, at most
  :data:`MAX_REQUESTS`, in at most :data:`MAX_RANGE_DAYS` days; nothing personal (the
  caller's name, phone and e-mail never; numbers in the description and reply masked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ...accounts.models import Role, User
from ...categories.models import Category
from ...core import clock
from ...core.errors import DomainError
from ...core.phones import InvalidPhone, normalise
from ...core.privacy import mask_personal_numbers
from ...core.validation import clean_line, clean_text
from ...core.vocabulary import REQUEST_TYPE_LABELS, RequestType
from ...extensions import db
from ...tickets import services as tickets
from ...tickets.models import Channel, Reply, Ticket, TicketEvent
from ...tickets.states import Status
from ...units.models import Unit
from ..progress import STAGES
from . import keys
from .models import Open311Request

MAX_REQUESTS = 1000  # GET requests answers at most this many, the newest first
MAX_RANGE_DAYS = 90
MAX_IDS = 100  # service_request_id=...: at most this many numbers at once
MAX_DESCRIPTION = 4000  # the specification's limit
DEFAULT_REQUEST_TYPE = RequestType.HELP.value
SYSTEM_USERNAME = "open311"

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

SERVICE_NOTICE = (
    "已受理，工单编号 {number}。话务员审核后转交承办单位办理，承办单位须在规定时限内答复"
    "（一般为22小时）；可凭工单编号和手机号码后四位查询办理进度。"
)


class Open311Error(Exception):
    """An answer in the specification's error format: HTTP ``status`` and the errors."""

    def __init__(self, status: int, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.items = [(status, description)]
        self.headers = headers or {}


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


# -- jurisdiction ----------------------------------------------------------------------


def check_jurisdiction(given: str | None, ours: str) -> None:
    """We serve one jurisdiction: the parameter may be left out; another one is a 404."""
    if given and given != ours:
        raise Open311Error(
            404, f"jurisdiction_id provided was not found: {given[:100]!r} (this server serves {ours!r})."
        )


# -- services --------------------------------------------------------------------------


def _active_categories() -> list[Category]:
    rows = db.session.scalars(
        select(Category).where(Category.is_active.is_(True)).order_by(Category.sort_order, Category.code)
    )
    return list(rows)


def _service(category: Category, parents: dict[int, Category]) -> dict:
    parent = parents.get(category.parent_id) if category.parent_id else None
    names = [category.name] + ([parent.name] if parent else [])
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{parent.name} / {category.name}" if parent else category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(names),
        "group": parent.name if parent else category.name,
    }


def service_list() -> list[dict]:
    categories = _active_categories()
    by_id = {c.id: c for c in categories}
    return [_service(c, by_id) for c in categories]


def _service_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None or not category.is_active:
        raise Open311Error(404, f"service_code provided was not found: {code[:100]!r}.")
    return category


REQUEST_TYPE_ATTRIBUTE = "request_type"


def service_definition(code: str) -> dict:
    category = _service_category(code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": REQUEST_TYPE_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型，不填按“求助”受理",
                "order": 1,
                "description": "诉求类型（咨询、求助、投诉、举报、建议、表扬）",
                "values": [{"key": t.value, "name": label} for t, label in REQUEST_TYPE_LABELS.items()],
            }
        ],
    }


# -- POST requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str
    phone: str  # normalised
    name: str | None
    lat: float | None
    long: float | None
    address_string: str | None
    address_id: str | None
    email: str | None
    device_id: str | None
    account_id: str | None
    media_url: str | None
    request_type: str
    attributes: dict


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}$")
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_.\-]{1,64})\](\[\])?$")
_KNOWN = {
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
}


def _line(form, name: str, limit: int) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise bad(f"{name} was given {len(values)} times: give it once.")
    value = (values[0] if values else "").strip()
    if not value:
        return None
    try:
        clean_line(value)
    except ValueError as exc:
        raise bad(f"{name} {exc}.") from None
    if len(value) > limit:
        raise bad(f"{name} is longer than {limit} characters.")
    return value


def _coordinate(form, name: str, bound: float) -> float | None:
    raw = _line(form, name, 40)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad(f"{name} is not a number: {raw!r}.") from None
    if not (-bound <= value <= bound):  # also refuses nan and inf
        raise bad(f"{name} must be between -{bound:g} and {bound:g} (WGS84).")
    return value


def parse_request(form) -> NewRequest:
    """The POST's form, checked whole: a refused request stores nothing."""
    service_code = _line(form, "service_code", 64)
    if service_code is None:
        raise bad("service_code was not provided.")
    description = (form.get("description") or "").strip()
    if not description:
        raise bad("description was not provided: describe the request (at most 4000 characters).")
    if len(description) > MAX_DESCRIPTION:
        raise bad(f"description is longer than {MAX_DESCRIPTION} characters ({len(description)}).")
    try:
        clean_text(description)
    except ValueError as exc:
        raise bad(f"description {exc}.") from None
    lat, long = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    if (lat is None) != (long is None):
        raise bad("lat and long must be given together.")
    address_string = _line(form, "address_string", 200)
    address_id = _line(form, "address_id", 100)
    if lat is None and address_string is None and address_id is None:
        raise bad("A location is required: lat and long, or address_string, or address_id.")
    raw_phone = _line(form, "phone", 40)
    if raw_phone is None:
        raise bad("phone was not provided: the hotline calls the citizen back about the request.")
    try:
        phone = normalise(raw_phone)
    except InvalidPhone as exc:
        raise bad(f"phone: {exc}.") from None
    first, last = _line(form, "first_name", 25), _line(form, "last_name", 25)
    name = "".join(p for p in (last, first) if p) or None  # family name first
    email = _line(form, "email", 254)
    if email is not None and not _EMAIL.match(email):
        raise bad(f"email is not an e-mail address: {email[:100]!r}.")
    media_url = _line(form, "media_url", 2000)
    if media_url is not None:
        parts = urlsplit(media_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad("media_url must be an http or https URL.")
    attributes, request_type = _attributes(form)
    return NewRequest(
        service_code=service_code,
        description=description,
        phone=phone,
        name=name,
        lat=lat,
        long=long,
        address_string=address_string,
        address_id=address_id,
        email=email,
        device_id=_line(form, "device_id", 100),
        account_id=_line(form, "account_id", 100),
        media_url=media_url,
        request_type=request_type,
        attributes=attributes,
    )


def _attributes(form) -> tuple[dict, str]:
    attributes: dict = {}
    for name in form:
        if name in _KNOWN:
            continue
        match = _ATTRIBUTE.match(name)
        if match is None:
            raise bad(f"Unknown parameter {name[:64]!r}.")
        code = match.group(1)
        if code != REQUEST_TYPE_ATTRIBUTE:
            raise bad(f"attribute[{code}] is not an attribute of this service (see its service definition).")
        values = [v.strip() for v in form.getlist(name)]
        if match.group(2) or len(values) != 1:
            raise bad(f"attribute[{code}] takes one value (a singlevaluelist).")
        attributes[code] = values[0]
    request_type = attributes.get(REQUEST_TYPE_ATTRIBUTE) or DEFAULT_REQUEST_TYPE
    if request_type not in {t.value for t in RequestType}:
        raise bad(
            f"attribute[{REQUEST_TYPE_ATTRIBUTE}] must be one of "
            f"{', '.join(t.value for t in RequestType)}: {request_type[:40]!r}."
        )
    return attributes, request_type


def system_user(now: datetime) -> User:
    """The account Open311 tickets are recorded by: disabled (no one signs in with it)."""
    user = db.session.scalar(select(User).where(User.username == SYSTEM_USERNAME))
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            display_name="Open311接口",
            password_hash=generate_password_hash(__import__("secrets").token_urlsafe(32)),
            role=Role.OPERATOR.value,
            is_active=False,
            session_version=1,
            failed_login_count=0,
            created_at=now,
            updated_at=now,
        )
        db.session.add(user)
        db.session.flush()
    return user


def create_request(data: NewRequest, *, key, now: datetime) -> Ticket:
    """Record the ticket (status new, channel open311) and its Open311 side. Never commits."""
    _service_category(data.service_code)  # 404 for an unknown or retired service
    actor = system_user(now)
    try:
        ticket, _events = tickets.create(
            actor=actor,
            now=now,
            data=tickets.NewTicket(
                caller_phone=data.phone,
                caller_name=data.name,
                request_type=data.request_type,
                category=data.service_code,
                content=data.description,
                address=data.address_string,
                channel=Channel.OPEN311.value,
            ),
        )
    except DomainError as exc:  # pragma: no cover - every field was checked above
        raise bad(exc.message) from None
    db.session.add(
        Open311Request(
            ticket_id=ticket.id,
            key_id=key.id,
            lat=data.lat,
            long=data.long,
            address_string=data.address_string,
            address_id=data.address_id,
            email=data.email,
            device_id=data.device_id,
            account_id=data.account_id,
            attributes=data.attributes,
            created_at=now,
        )
    )
    db.session.flush()
    if data.media_url:
        keep_media_url(ticket, data.media_url)
    keys.count_use(key, now=now)
    return ticket


def keep_media_url(ticket: Ticket, url: str) -> None:
    """Keep a request's ``media_url`` with its ticket. The one place that stores it: when
    tickets get attachments, this becomes a link attachment of the ticket."""
    row = db.session.get(Open311Request, ticket.id)
    row.media_url = url
    db.session.flush()


def post_answer(ticket: Ticket) -> list[dict]:
    return [
        {
            "service_request_id": ticket.number,
            "service_notice": SERVICE_NOTICE.format(number=ticket.number),
            "account_id": None,
        }
    ]


# -- GET requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def _list(args, name: str) -> tuple[str, ...]:
    values = []
    for raw in args.getlist(name):
        values += [v.strip() for v in raw.split(",") if v.strip()]
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
    return list(db.session.execute(_listing_statement(query)))


def _listing_statement(query: Query):
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
