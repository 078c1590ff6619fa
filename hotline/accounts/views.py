"""Authentication and user administration: /api/v1/auth, /api/v1/users."""

from __future__ import annotations

from flask import Blueprint, current_app, g

from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok, query
from ..api.openapi import doc
from ..core import clock
from ..core.clients import client_address
from ..core.errors import NotFound, TooManyRequests, Unauthorized
from ..core.wiring import public
from ..extensions import db
from . import permissions, queries, schemas, services

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


@bp.post("/auth/token")
@doc(
    summary="Sign in: exchange username and password for a bearer token",
    tags=["auth"],
    body=schemas.TokenIn,
    response=schemas.TokenOut,
    roles="anyone with an account",
    description="Every failure answers 401 invalid_credentials, whatever went wrong. Repeated failures are "
    "throttled per client address and username, per client address, and per username from addresses it never "
    "signed in from: 429 too_many_attempts with Retry-After (seconds), the wait doubling with each failure. "
    "Tokens last 12 hours by default.",
)
@public
def issue_token():
    data = body(schemas.TokenIn)
    now = clock.now()
    try:
        user = services.authenticate(data.username, data.password, address=client_address(), via="api", now=now)
    except (Unauthorized, TooManyRequests):
        db.session.commit()  # keep the failure's counters and its audit record
        raise
    token, row = services.issue_token(user, now=now, ttl_hours=current_app.config["TOKEN_TTL_HOURS"])
    db.session.commit()
    return ok(schemas.TokenOut(token=token, expires_at=clock.isoformat(row.expires_at), user=schemas.user_out(user)))


@bp.delete("/auth/token")
@doc(
    summary="Sign out: revoke the token used for this request", tags=["auth"], status=204, roles="every signed-in user"
)
@token_required
def revoke_token():
    services.revoke_token(g.api_token, actor=actor(), now=clock.now())
    db.session.commit()
    return "", 204


@bp.get("/auth/me")
@doc(summary="The signed-in user", tags=["auth"], response=schemas.UserOut, roles="every signed-in user")
@token_required
def me():
    return ok(schemas.user_out(actor()))


@bp.get("/users")
@doc(summary="List users", tags=["users"], query=schemas.UserListQuery, response=schemas.UserListOut, roles="admin")
@token_required
def list_users():
    require(permissions.can_manage_users(actor()), "Only admins manage users.", "只有系统管理员可以管理用户。")
    params = query(schemas.UserListQuery)
    users = queries.list_users(role=params.role, unit_code=params.unit)
    return ok(schemas.UserListOut(items=[schemas.user_out(u) for u in users]))


@bp.post("/users")
@doc(
    summary="Create a user",
    tags=["users"],
    body=schemas.UserCreateIn,
    response=schemas.UserOut,
    status=201,
    roles="admin",
)
@token_required
def create_user():
    user = actor()
    require(permissions.can_manage_users(user), "Only admins manage users.", "只有系统管理员可以管理用户。")
    data = body(schemas.UserCreateIn)
    created = services.create_user(
        actor=user,
        now=clock.now(),
        username=data.username,
        password=data.password,
        role=data.role,
        unit_code=data.unit,
        display_name=data.display_name,
        phone=data.phone,
        email=data.email,
    )
    db.session.commit()
    return ok(schemas.user_out(created), 201)


@bp.patch("/users/<username>")
@doc(
    summary="Change a user: role, unit, contact, password; is_active false disables at once",
    tags=["users"],
    body=schemas.UserUpdateIn,
    response=schemas.UserOut,
    roles="admin",
)
@token_required
def update_user(username):
    user = actor()
    require(permissions.can_manage_users(user), "Only admins manage users.", "只有系统管理员可以管理用户。")
    target = queries.get_by_username(username)
    if target is None:
        raise NotFound(f"No user {username}.", message_zh="用户不存在。")
    data = body(schemas.UserUpdateIn)
    services.update_user(
        target, actor=user, now=clock.now(), changes=changes(data, nullable=("unit", "phone", "email"))
    )
    db.session.commit()
    return ok(schemas.user_out(target))
