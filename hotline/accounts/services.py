"""Users, passwords, tokens. Passwords and tokens are never stored or logged in clear."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import defaultload
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import record
from ..core.errors import Conflict, InvalidInput, TooManyRequests, Unauthorized
from ..extensions import db
from ..units import queries as unit_queries
from ..units.models import Unit
from . import throttle
from .models import ROLES, ApiToken, Role, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
TOKEN_PREFIX = "hl_"


def hash_password(password: str) -> str:
    """The password's hash by ``PASSWORD_HASH_METHOD`` (default: werkzeug's, scrypt)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


@cache
def _dummy_hash(method: str | None) -> str:
    """Compared against when the username does not exist or is disabled, so that a wrong
    username and a wrong password take the same time (one per hash method)."""
    secret = "not-a-real-password-" + secrets.token_hex(8)
    return generate_password_hash(secret, method=method) if method else generate_password_hash(secret)


def check_password_policy(password: str, field: str = "password") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must have at least {MIN_PASSWORD} characters.",
            message_zh=f"密码至少 {MIN_PASSWORD} 位。",
            field=field,
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"The password must have at most {MAX_PASSWORD} characters.",
            message_zh=f"密码最多 {MAX_PASSWORD} 位。",
            field=field,
        )
    if "\x00" in password:
        raise InvalidInput(
            "The password must not contain NUL characters.", message_zh="密码含有非法字符。", field=field
        )


def _unit_for(role: str, unit_code: str | None):
    if role not in ROLES:
        raise InvalidInput(
            f"Unknown role {role!r}; one of {', '.join(ROLES)}.", message_zh="角色不存在。", field="role"
        )
    if role == Role.UNIT_STAFF:
        if not unit_code:
            raise InvalidInput(
                "Unit staff must belong to a unit.", message_zh="成员单位用户必须指定所属单位。", field="unit"
            )
        unit = unit_queries.get_by_code(unit_code)
        if unit is None or not unit.is_active:
            raise InvalidInput(f"Unknown unit {unit_code!r}.", message_zh="单位不存在或已停用。", field="unit")
        return unit
    if unit_code:
        raise InvalidInput(
            "Only unit staff belong to a unit.", message_zh="只有成员单位用户才属于某个单位。", field="unit"
        )
    return None


def create_user(
    *,
    actor,
    now: datetime,
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    display_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> User:
    if not USERNAME_RE.match(username or ""):
        raise InvalidInput(
            "Usernames have 2–64 letters, digits, '.', '_' or '-'.",
            message_zh="用户名为 2–64 位字母、数字或 . _ -。",
            field="username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"User {username!r} already exists.", message_zh="用户名已存在。", field="username", code="duplicate"
        )
    check_password_policy(password)
    unit = _unit_for(role, unit_code)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        unit=unit,
        phone=phone,
        email=email,
        is_active=True,
        session_version=1,
        failed_login_count=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(user)
    db.session.flush()
    record(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=username,
        now=now,
        data={"role": role, "unit": unit_code},
    )
    return user


def update_user(user: User, *, actor, now: datetime, changes: dict) -> User:
    """Change role, unit, name, contact or active flag; a disabled user is refused at once."""
    audit: dict = {}
    if "role" in changes or "unit" in changes:
        role = changes.get("role", user.role)
        unit_code = changes.get("unit", user.unit.code if user.unit else None)
        if "role" in changes and role != Role.UNIT_STAFF and "unit" not in changes:
            unit_code = None
        user.unit = _unit_for(role, unit_code)
        user.role = role
        audit.update(role=role, unit=unit_code)
        _revoke_sessions(user, now)
    for field in ("display_name", "phone", "email"):
        if field in changes:
            setattr(user, field, changes[field])
            audit[field] = changes[field]
    if "is_active" in changes:
        user.is_active = changes["is_active"]
        audit["is_active"] = changes["is_active"]
        if not user.is_active:
            _revoke_sessions(user, now)
    if "password" in changes:
        check_password_policy(changes["password"])
        user.password_hash = hash_password(changes["password"])
        user.failed_login_count = 0
        user.locked_until = None
        audit["password"] = "changed"
        audit["sign_in_counters_lifted"] = throttle.lift(user.username)
        _revoke_sessions(user, now)
    user.updated_at = now
    db.session.flush()
    record(actor=actor, action="user.update", object_type="user", object_id=user.username, now=now, data=audit)
    return user


def _revoke_sessions(user: User, now: datetime) -> None:
    user.session_version = (user.session_version or 1) + 1
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def authenticate(username: str, password: str, *, address: str, via: str, now: datetime) -> User:
    """The user for these credentials, or one answer for every failure.

    Every attempt is audited (``login``, or ``login.failed`` with the reason and the client's
    address; never the password). A client the sign-in throttle (``throttle``) holds back
    gets TooManyRequests (429, Retry-After) and its password is not checked. Otherwise a
    wrong password, an unknown username and a disabled account all get the same
    Unauthorized, after the same password hashing: a disabled account never confirms its
    password, and nothing tells which usernames exist.
    """
    config = current_app.config
    attempt = throttle.Attempt(username or "", address or "")
    typed = (username or "")[:64]
    wait = throttle.retry_after(attempt, now=now, config=config)
    if wait:
        _audit_failure(typed, "throttled", address, via, now, retry_after=wait)
        raise TooManyRequests(
            f"Too many failed sign-ins; try again in {wait} seconds.",
            message_zh=f"登录失败次数过多，请 {_in_words(wait)}后再试。",
            code="too_many_attempts",
            retry_after=wait,
        )
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    usable = user is not None and user.is_active
    # The same work whoever asks: a disabled or unknown account is checked against a dummy hash.
    dummy = None if usable else _dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD"))
    matches = check_password_hash(user.password_hash if usable else dummy, password or "")
    if not (usable and matches):
        throttle.failed(attempt, now=now, config=config)
        reason = "unknown_user" if user is None else "disabled" if not user.is_active else "wrong_password"
        _audit_failure(typed, reason, address, via, now)
        raise Unauthorized("Wrong username or password.", message_zh="用户名或密码错误。", code="invalid_credentials")
    throttle.succeeded(attempt, now=now)
    user.last_login_at = now
    record(
        actor=user,
        action="login",
        object_type="user",
        object_id=user.username,
        now=now,
        data={"address": address, "via": via},
    )
    return user


def _audit_failure(username: str, reason: str, address: str, via: str, now: datetime, **extra) -> None:
    data = {"reason": reason, "address": address, "via": via, **extra}
    record(actor=None, action="login.failed", object_type="user", object_id=username or None, now=now, data=data)


def _in_words(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


def lift_sign_in_lock(user: User, actor, now: datetime) -> int:
    """Lift every sign-in lock on ``user``'s account, from every address (admins). Audited;
    returns how many throttle counters were forgotten."""
    lifted = throttle.lift(user.username)
    user.failed_login_count = 0
    user.locked_until = None
    record(
        actor=actor,
        action="user.unlock",
        object_type="user",
        object_id=user.username,
        now=now,
        data={"counters": lifted},
    )
    return lifted


def sign_in_lock_state(user: User, now: datetime) -> dict:
    """For an admin: ``account_failures`` (from unknown addresses, recent), ``locked_until``
    (the latest wait still running on any address, or None), ``locked_addresses``."""
    return throttle.state(user.username, now=now)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, *, now: datetime, ttl_hours: int) -> tuple[str, ApiToken]:
    """A new bearer token; the clear token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, token_hash=_hash_token(token), created_at=now, expires_at=now + timedelta(hours=ttl_hours)
    )
    db.session.add(row)
    db.session.flush()
    return token, row


# Built once (core.db.built_once says why): every API request runs it. Of the user's unit,
# only its code and name (what an answer shows of a unit): a unit already loaded stays as it
# was, the rest of one loaded here, if ever read, is loaded by its key (or by the ticket's
# statement, when it is the ticket's unit).
_TOKEN_BY_HASH = (
    select(ApiToken)
    .options(defaultload(ApiToken.user).defaultload(User.unit).load_only(Unit.code, Unit.name))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def resolve_token(token: str, *, now: datetime) -> tuple[User, ApiToken] | None:
    """The active user behind a valid, unexpired, unrevoked token, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    row = db.session.scalar(_TOKEN_BY_HASH, {"token_hash": _hash_token(token)})
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.is_active:
        return None
    return row.user, row


def revoke_token(row: ApiToken, *, actor, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
    record(actor=actor, action="token.revoke", object_type="api_token", object_id=row.id, now=now)


def logout(user: User, *, now: datetime) -> None:
    """End every web session of this user (the cookie's version no longer matches)."""
    user.session_version = (user.session_version or 1) + 1
    record(actor=user, action="logout", object_type="user", object_id=user.username, now=now)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader: "<id>:<session_version>", refused if stale or disabled."""
    try:
        raw_id, raw_version = session_id.split(":", 1)
        user_id, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def is_locked(user: User, now: datetime) -> bool:
    """Whether some client must wait before trying this account again (the sign-in throttle)."""
    return sign_in_lock_state(user, now)["locked_until"] is not None


def locked_usernames(users, now: datetime) -> set[str]:
    """``is_locked`` for a whole list of users in one read."""
    return throttle.locked_usernames([u.username for u in users], now=now)


def unlock(user: User, *, actor, now: datetime) -> User:
    """Lift every sign-in lock on the account (admins), from every address. Audited."""
    lift_sign_in_lock(user, actor, now)
    user.updated_at = now
    db.session.flush()
    return user
