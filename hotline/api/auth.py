"""Bearer-token authentication for the API.

The API accepts only ``Authorization: Bearer <token>``, never the web session cookie,
so that a page on another site cannot make a signed-in browser act through the API.
"""

from __future__ import annotations

import functools

from flask import g, request

from ..accounts.permissions import must_mask_personal_numbers
from ..accounts.services import resolve_token
from ..core import clock, privacy
from ..core.errors import Forbidden, Unauthorized
from ..core.wiring import mark_bearer


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_required(view):
    """Authenticate the request's bearer token; ``g.actor`` is the user."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = _bearer()
        if token is None:
            raise Unauthorized(
                "Sign in: send Authorization: Bearer <token> (POST /api/v1/auth/token).",
                message_zh="请先登录。",
                code="unauthenticated",
            )
        found = resolve_token(token, now=clock.now())
        if found is None:
            raise Unauthorized(
                "The token is invalid, expired or revoked.", message_zh="登录已失效，请重新登录。", code="invalid_token"
            )
        g.actor, g.api_token = found
        privacy.settle(must_mask_personal_numbers(g.actor))
        return view(*args, **kwargs)

    return mark_bearer(wrapper)


def require(allowed: bool, message: str = "Your role may not do this.", message_zh: str = "您无权执行此操作。"):
    if not allowed:
        raise Forbidden(message, message_zh=message_zh)


def actor():
    return g.actor
