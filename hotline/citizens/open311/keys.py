"""Open311 API keys: issued per client by an admin, shown once, stored hashed, revocable.

A key is 32 random bytes (URL-safe base64). Only its SHA-256 is kept: a guessed key cannot
be checked offline, and a stolen database gives no key. Issuing and revoking are audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select, update

from ...audit.services import record
from ...core.errors import Conflict, InvalidInput, NotFound
from ...core.validation import clean_line
from ...extensions import db
from .models import Open311Key

NAME = re.compile(r"^[\w.\-\u4e00-\u9fff ]{1,64}$")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    try:
        clean_line(name)
    except ValueError:
        name = ""
    if not NAME.match(name):
        raise InvalidInput(
            "The client's name: 1 to 64 letters, digits, spaces, dots, dashes or underscores.",
            message_zh="1 至 64 个字符，可用中文、字母、数字、空格、点、连字符和下划线",
            field="name",
        )
    return name


def create_key(name: str, *, actor, now: datetime) -> tuple[Open311Key, str]:
    """Issue a key to the client ``name``; returns (row, the key itself, shown only now)."""
    name = _clean_name(name)
    if db.session.scalar(select(Open311Key.id).where(Open311Key.name == name)) is not None:
        raise Conflict(
            f"A key named {name!r} exists already.", message_zh="该名称已有密钥（可先吊销旧密钥）", field="name"
        )
    raw = secrets.token_urlsafe(32)
    key = Open311Key(
        name=name,
        key_hash=_hash(raw),
        prefix=raw[:6],
        created_at=now,
        created_by_id=getattr(actor, "id", None),
        request_count=0,
    )
    db.session.add(key)
    db.session.flush()
    record(
        actor=actor,
        action="open311_key_create",
        object_type="open311_key",
        object_id=key.id,
        now=now,
        data={"name": name},
    )
    return key, raw


def revoke_key(name: str, *, actor, now: datetime) -> Open311Key:
    """Revoke the client's key at once (its next request is refused with 403)."""
    key = db.session.scalar(select(Open311Key).where(Open311Key.name == name))
    if key is None:
        raise NotFound(f"No key named {name!r}.", message_zh="没有该名称的密钥", field="name")
    if key.revoked_at is not None:
        raise Conflict(f"The key {name!r} is already revoked.", message_zh="该密钥已吊销", field="name")
    key.revoked_at = now
    key.revoked_by_id = getattr(actor, "id", None)
    record(
        actor=actor,
        action="open311_key_revoke",
        object_type="open311_key",
        object_id=key.id,
        now=now,
        data={"name": name},
    )
    return key


def authenticate(raw: str | None) -> Open311Key | None:
    """The active key ``raw`` is, or None (missing, unknown or revoked)."""
    if not raw or len(raw) > 128:
        return None
    key = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == _hash(raw)))
    return key if key is not None and key.revoked_at is None else None


def count_use(key: Open311Key, *, now: datetime) -> None:
    """A request was accepted with this key (one UPDATE; concurrent requests add up)."""
    db.session.execute(
        update(Open311Key)
        .where(Open311Key.id == key.id)
        .values(request_count=Open311Key.request_count + 1, last_used_at=now)
    )


def all_keys() -> list[Open311Key]:
    return list(db.session.scalars(select(Open311Key).order_by(Open311Key.revoked_at.isnot(None), Open311Key.name)))
