"""`/open311/v2/...`: the GeoReport v2 endpoints, each as ``.xml`` and ``.json``.

All ``GET``s are public, limited per client address; ``POST requests`` needs an API key
(``api_key`` in the form) and is limited per key. Every error is the specification's
list of ``{code, description}`` in the format the path asks for (the app's error
handlers call :func:`render_error` for any path under ``/open311/``, routing errors too).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from ...core import clock
from ...core.clients import client_address
from ...core.errors import DomainError, TooManyRequests
from ...core.ratelimit import Limit, check
from ...core.wiring import public
from ...extensions import db
from . import formats, intake, keys, listing, services
from .services import Open311Error

PREFIX = "/open311/v2"
bp = Blueprint("open311", __name__, url_prefix=PREFIX)
FMT = "<any(xml, json):fmt>"

LIMITS_PER_ADDRESS = (Limit("open311-address-minute", 120, 60), Limit("open311-address-hour", 2000, 3600))
LIMITS_PER_KEY = (Limit("open311-key-minute", 30, 60), Limit("open311-key-day", 5000, 86400))
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-02T00:00:00Z"


def render_error(status: int, description: str, headers: dict | None = None):
    return formats.errors(formats.format_of_path(request.path), status, [(status, description)], headers)


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    db.session.rollback()
    return formats.errors(formats.format_of_path(request.path), exc.status, exc.items, exc.headers)


def _count(limits, subject: str) -> None:
    try:
        check([(limit, subject) for limit in limits], now=clock.now(), message_zh="请求过于频繁，请稍后再试。")
    except TooManyRequests as exc:
        raise Open311Error(429, "Too many requests: try again after Retry-After seconds.", exc.headers) from None


def _public_get() -> None:
    """Every GET: counted per client address, then the jurisdiction checked."""
    _count(LIMITS_PER_ADDRESS, client_address())
    services.check_jurisdiction(request.args.get("jurisdiction_id"), current_app.config["OPEN311_JURISDICTION_ID"])


@bp.get(f"/discovery.{FMT}")
@public
def discovery(fmt):
    _public_get()
    endpoint_url = request.url_root.rstrip("/") + PREFIX
    document = {
        "changeset": CHANGESET,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": "POST requests needs an api_key: ask the hotline centre's administrators for one "
        "(one key per client system). All GETs are open to everyone.",
        "max_requests": services.MAX_REQUESTS,
        "endpoints": [
            {
                "specification": SPEC_URL,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return formats.respond(fmt, "discovery", document)


@bp.get(f"/services.{FMT}")
@public
def service_list(fmt):
    _public_get()
    return formats.respond(fmt, "services", services.service_list())


@bp.get(f"/services/<service_code>.{FMT}")
@public
def service_definition(service_code, fmt):
    _public_get()
    return formats.respond(fmt, "service_definition", services.service_definition(service_code))


@bp.get(f"/requests.{FMT}")
@public
def request_list(fmt):
    _public_get()
    query = listing.parse_query(request.args, now=clock.now())
    rows = listing.find_requests(query)
    return formats.respond(fmt, "service_requests", listing.request_documents(rows))


@bp.get(f"/requests/<service_request_id>.{FMT}")
@public
def request_one(service_request_id, fmt):
    _public_get()
    rows = listing.find_request(service_request_id)
    return formats.respond(fmt, "service_requests", listing.request_documents(rows))


@bp.post(f"/requests.{FMT}")
@public  # no session: the api_key in the form is checked here
def create_request(fmt):
    form = request.form
    key = keys.authenticate(form.get("api_key"))
    if key is None:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    _count(LIMITS_PER_KEY, str(key.id))
    services.check_jurisdiction(form.get("jurisdiction_id"), current_app.config["OPEN311_JURISDICTION_ID"])
    data = intake.parse_request(form)
    try:
        ticket = intake.create_request(data, key=key, now=clock.now())
        db.session.commit()
    except DomainError as exc:  # e.g. two changes at once: nothing was stored
        db.session.rollback()
        raise Open311Error(400, exc.message) from None
    return formats.respond(fmt, "service_requests", intake.post_answer(ticket), status=201)
