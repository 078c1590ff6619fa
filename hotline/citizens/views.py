"""`POST /api/v1/progress`: 办理进度查询 for citizens and other systems; public, rate-limited."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint

from ..api.helpers import body, ok
from ..api.openapi import doc
from ..core import clock
from ..core.clients import client_address
from ..core.errors import NotFound
from ..core.wiring import public
from . import progress, services
from .schemas import ProgressIn, ProgressOut

bp = Blueprint("citizens_api", __name__, url_prefix="/api/v1")


@bp.post("/progress")
@public
@doc(
    summary="A ticket's progress (办理进度查询) from its number and the caller's last four digits",
    tags=["public"],
    body=ProgressIn,
    response=ProgressOut,
    roles="anyone (rate-limited per client address and per ticket number)",
    description="A wrong number or pair answers 404 not_found; too many lookups answer 429 with Retry-After.",
)
def lookup():
    data = body(ProgressIn)
    services.count_lookup(data.number, client_address(), now=clock.now())
    ticket = progress.find(data.number, data.phone_last4)
    if ticket is None:
        raise NotFound("No such ticket for that number.", message_zh=services.NOT_FOUND_ZH)
    return ok(ProgressOut(**asdict(progress.document(ticket))))
