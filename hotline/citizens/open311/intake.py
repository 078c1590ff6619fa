"""``POST requests``: a ticket with channel ``open311``, recorded by the Open311 system
account in status ``new``; it waits in the operators' 网上来件 queue to be read before it is
submitted for dispatch, as every ticket that did not come by phone. The form is checked
whole first: a refused request stores nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from ...accounts.models import Role, User
from ...accounts.services import hash_password
from ...core.errors import DomainError
from ...core.phones import InvalidPhone, normalise
from ...core.validation import clean_line, clean_text
from ...core.vocabulary import RequestType
from ...extensions import db
from ...tickets import services as tickets
from ...tickets.models import Channel, Ticket
from . import keys
from .models import Open311Request
from .services import DEFAULT_REQUEST_TYPE, REQUEST_TYPE_ATTRIBUTE, bad, service_category

MAX_DESCRIPTION = 4000  # the specification's limit
SYSTEM_USERNAME = "open311"

SERVICE_NOTICE = (
    "已受理，工单编号 {number}。话务员审核后转交承办单位办理，承办单位须在规定时限内答复"
    "（一般为22小时）；可凭工单编号和手机号码后四位查询办理进度。"
)


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
            password_hash=hash_password(secrets.token_urlsafe(32)),
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
    service_category(data.service_code)  # 404 for an unknown or retired service
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
        keep_media_url(ticket, data.media_url, actor=actor, now=now)
    keys.count_use(key, now=now)
    return ticket


def keep_media_url(ticket: Ticket, url: str, *, actor, now) -> None:
    """Keep a request's ``media_url`` with its ticket: on the Open311 row (``GET requests``
    gives it back) and as a link attachment that staff see on the ticket page (never fetched)."""
    from ...attachments import services as attachments

    row = db.session.get(Open311Request, ticket.id)
    row.media_url = url
    attachments.attach_link(ticket, url, actor=actor, now=now, source="open311", check_permission=False)
    db.session.flush()


def post_answer(ticket: Ticket) -> list[dict]:
    return [
        {
            "service_request_id": ticket.number,
            "service_notice": SERVICE_NOTICE.format(number=ticket.number),
            "account_id": None,
        }
    ]
