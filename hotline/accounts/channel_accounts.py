"""The accounts that citizens' own channels record tickets under (网上留言, Open311 ...).

A ticket names who recorded it. A citizen who writes in through the public web form has no
account, so the ticket is recorded by the channel's own account: an operator-role user that
is disabled (it can never sign in, and its password is random and unknown) and whose
username starts with ``channel-``. Its tickets wait in the operators' triage queue
(网上来件待处理) to be read before they are submitted for dispatch.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import Role, User
from .services import hash_password

PREFIX = "channel-"
DISPLAY_NAMES = {"web": "网上留言", "open311": "外部系统接入"}


def username_for(channel: str) -> str:
    return f"{PREFIX}{channel}"


def channel_account(channel: str, *, now: datetime) -> User:
    """The channel's account, made the first time it is needed (safe under concurrency)."""
    username = username_for(channel)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user
    user = User(
        username=username,
        display_name=DISPLAY_NAMES.get(channel, channel),
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=Role.OPERATOR.value,
        is_active=False,
        created_at=now,
        updated_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # made meanwhile by another request
        return db.session.scalar(select(User).where(User.username == username))
    return user


def channel_account_ids():
    """A subquery of the channel accounts' ids (the triage queue's filter)."""
    return select(User.id).where(User.username.startswith(PREFIX), User.is_active.is_(False))
