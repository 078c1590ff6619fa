"""Rate limits for the public routes: at most ``count`` hits per ``seconds`` per subject.

Fixed windows: a subject's hits are counted in the window ``floor(now / seconds)``; past
``count`` the caller is told how long until the window ends (the Retry-After). The counters
live where every process and host sees them: in Redis when it is configured (INCR with an
expiry), otherwise in the database (``rate_limit_windows``, an upsert that returns the new
count). A database hit belongs to the request's transaction: the caller commits it before
answering, refused or not (``check`` does), so a refused or failed request still counts.

Old windows are deleted by the hourly ``rate-limit-prune`` job (Redis expires its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .db import upsert_insert
from .errors import TooManyRequests
from .redis import get_redis

REDIS_PREFIX = "hotline:rate:"


class RateLimitWindow(db.Model):
    """Hits of one subject under one limit in one window (the database's counters)."""

    __tablename__ = "rate_limit_windows"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # floor(epoch seconds / seconds)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    ends_at: Mapped[int] = mapped_column(Integer, index=True)  # epoch seconds: pruned after


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def hit(limit: Limit, subject: str, *, now: datetime) -> int:
    """Count one hit; the seconds to wait if it is over the limit, else 0."""
    epoch = int(now.timestamp())
    window = epoch // limit.seconds
    ends_at = (window + 1) * limit.seconds
    subject = subject[:200]
    redis = get_redis()
    if redis is not None:
        key = f"{REDIS_PREFIX}{limit.name}:{subject}:{window}"
        with redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, limit.seconds + 1)
            hits = int(pipe.execute()[0])
    else:
        stmt = upsert_insert(RateLimitWindow).values(
            name=limit.name, subject=subject, window=window, hits=1, ends_at=ends_at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["name", "subject", "window"], set_={"hits": RateLimitWindow.hits + 1}
        ).returning(RateLimitWindow.hits)
        hits = int(db.session.execute(stmt).scalar_one())
    return max(1, ends_at - epoch) if hits > limit.count else 0


def check(limits: list[tuple[Limit, str]], *, now: datetime, message_zh: str) -> None:
    """Count a hit under each (limit, subject), commit the counts, and raise 429 if any is over."""
    wait = max(hit(limit, subject, now=now) for limit, subject in limits)
    db.session.commit()
    if wait:
        raise TooManyRequests(
            "Too many requests; try again later.", retry_after=wait, message_zh=message_zh, code="too_many_requests"
        )


def prune(*, now: datetime) -> int:
    """Delete the database's windows that ended (the hourly job); returns how many."""
    result = db.session.execute(delete(RateLimitWindow).where(RateLimitWindow.ends_at < int(now.timestamp())))
    return result.rowcount or 0
