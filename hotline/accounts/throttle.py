"""The sign-in throttle: guessing is slowed down, and nobody can use it to lock staff out.

Failed sign-ins are counted under three keys, each with a threshold after which the next
attempt must wait, the wait doubling with every further failure up to a ceiling (NIST SP
800-63B 5.2.2; OWASP ASVS 2.2.1). A waiting client is answered 429 with ``Retry-After``
and its password is not even checked.

- ``pair``: one client address with one username (5 failures, then 1 min, 2, 4 ... up to
  ``LOGIN_LOCK_MINUTES``): someone guessing one account from one place.
- ``address``: one client address, any username (20 failures, then the same): one client
  trying a password against every user.
- ``account``: one username from addresses it has never signed in from (10 failures, then
  30 s, 1 min ... up to 5 min): guessing one account from many places. The addresses a
  user signed in from in the last 30 days (``known``) are exempt, so an outsider's guesses
  never keep the real user out of their own desk; from elsewhere they are slowed, never
  locked out for good, and an admin lifts every lock at once (``lift``).

A successful sign-in forgets that pair's failures. Usernames count as typed, whether or
not they exist, so the throttle says nothing about which accounts exist.

The counters live in Redis when it is configured (every process and host sees them),
otherwise in the database (``sign_in_counters``), in the sign-in's own transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import case, delete, or_, select, update

from ..core.db import escape_like, upsert_insert
from ..core.redis import get_redis
from ..extensions import db
from .models import SignInCounter

KNOWN_DAYS = 30


@dataclass(frozen=True)
class Rule:
    kind: str
    threshold: int  # failures allowed before the first wait
    first_wait: int  # seconds, doubled with every further failure
    max_wait: int  # seconds
    forget_after: int  # seconds without a failure after which the count starts again

    def wait(self, failures: int) -> int:
        """Seconds to wait after the ``failures``-th failure (0 below the threshold)."""
        if failures < self.threshold:
            return 0
        return min(self.first_wait * 2 ** min(failures - self.threshold, 30), self.max_wait)


def rules(config) -> dict[str, Rule]:
    lock = max(1, int(config.get("LOGIN_LOCK_MINUTES", 15))) * 60
    pair_max = max(1, int(config.get("LOGIN_MAX_FAILURES", 5)))
    return {
        "pair": Rule("pair", pair_max, 60, lock, 24 * 3600),
        "address": Rule("address", int(config.get("LOGIN_ADDRESS_MAX_FAILURES", 20)), 60, lock, 3600),
        "account": Rule("account", int(config.get("LOGIN_ACCOUNT_MAX_FAILURES", 10)), 30, 300, 24 * 3600),
    }


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the username as typed and the client's address."""

    username: str
    address: str

    @property
    def user_part(self) -> str:
        return quote(self.username[:64], safe="")

    def keys(self) -> dict[str, str]:
        a = quote(self.address[:64], safe="")
        return {"pair": f"pair:{self.user_part}:{a}", "address": f"address:{a}", "account": f"account:{self.user_part}"}

    @property
    def known_key(self) -> str:
        return f"known:{self.user_part}:{quote(self.address[:64], safe='')}"


def _store(app=None):
    redis = get_redis(app)
    return RedisStore(redis) if redis is not None else DatabaseStore()


def retry_after(attempt: Attempt, *, now: datetime, config) -> int:
    """Seconds this attempt must still wait (0: it may try)."""
    store = _store()
    keys = attempt.keys()
    if store.is_known(attempt.known_key, now):
        del keys["account"]  # the user's own desk: others' guesses never slow it down
    until = [b for b in store.blocked_until(list(keys.values()), now).values() if b and b > now]
    return math.ceil(max((b - now).total_seconds() for b in until)) if until else 0


def failed(attempt: Attempt, *, now: datetime, config) -> None:
    """Count one failed sign-in under every key."""
    store = _store()
    known = store.is_known(attempt.known_key, now)
    for kind, rule in rules(config).items():
        if kind == "account" and known:
            continue
        store.fail(attempt.keys()[kind], rule, now, username=attempt.username[:64])


def succeeded(attempt: Attempt, *, now: datetime) -> None:
    """Forget this pair's failures and remember the address as one the user signs in from."""
    store = _store()
    store.clear([attempt.keys()["pair"]])
    store.remember(attempt.known_key, now + timedelta(days=KNOWN_DAYS), username=attempt.username[:64], now=now)


def lift(username: str) -> int:
    """Forget every failure counted against ``username`` (every address); how many counters."""
    return _store().clear_user(Attempt(username, "").user_part, username)


def state(username: str, *, now: datetime) -> dict:
    """What an admin sees: failures on the account from unknown addresses, and the latest lock."""
    return _store().user_state(Attempt(username, "").user_part, username, now)


def locked_usernames(usernames, *, now: datetime) -> set[str]:
    """Which of these accounts some client must wait before trying again: what ``state``
    says of each, for a whole list in one read (the admins' user list)."""
    parts = {Attempt(name, "").user_part: name for name in usernames}
    return {parts[p] for p in _store().locked_user_parts(now) if p in parts}


# --- where the counters live ------------------------------------------------------------

_PREFIX = "hotline:signin:"


class RedisStore:
    """Hashes ``{count, blocked_until}`` that expire ``forget_after`` after the last failure."""

    def __init__(self, redis) -> None:
        self.redis = redis

    def blocked_until(self, keys: list[str], now: datetime) -> dict[str, datetime | None]:
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.hget(_PREFIX + key, "blocked_until")
        values = pipe.execute()
        return {k: _from_epoch(v) for k, v in zip(keys, values, strict=True)}

    def fail(self, key: str, rule: Rule, now: datetime, *, username: str) -> int:
        name = _PREFIX + key
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(name, "count", 1)
        pipe.expire(name, rule.forget_after)
        count = int(pipe.execute()[0])
        wait = rule.wait(count)
        if wait:
            self.redis.hset(name, "blocked_until", (now + timedelta(seconds=wait)).timestamp())
        return count

    def clear(self, keys: list[str]) -> None:
        self.redis.delete(*[_PREFIX + k for k in keys])

    def is_known(self, key: str, now: datetime) -> bool:
        return bool(self.redis.exists(_PREFIX + key))

    def remember(self, key: str, until: datetime, *, username: str, now: datetime) -> None:
        self.redis.set(_PREFIX + key, 1, ex=max(1, int((until - now).total_seconds())))

    def _user_keys(self, user_part: str) -> list[bytes]:
        names = list(self.redis.scan_iter(match=f"{_PREFIX}pair:{user_part}:*", count=500))
        return [*names, f"{_PREFIX}account:{user_part}".encode()]

    def clear_user(self, user_part: str, username: str) -> int:
        names = [n for n in self._user_keys(user_part) if self.redis.exists(n)]
        if names:
            self.redis.delete(*names)
        return len(names)

    def locked_user_parts(self, now: datetime) -> set[str]:
        names = [
            *self.redis.scan_iter(match=f"{_PREFIX}pair:*", count=500),
            *self.redis.scan_iter(match=f"{_PREFIX}account:*", count=500),
        ]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hget(name, "blocked_until")
        return {
            _user_part_of(name.decode()[len(_PREFIX) :])
            for name, until in zip(names, pipe.execute(), strict=True)
            if until is not None and _from_epoch(until) > now
        }

    def user_state(self, user_part: str, username: str, now: datetime) -> dict:
        account = self.redis.hget(f"{_PREFIX}account:{user_part}", "count")
        blocks = [_from_epoch(self.redis.hget(n, "blocked_until")) for n in self._user_keys(user_part)]
        return _state(int(account or 0), blocks, now)


class DatabaseStore:
    """Rows of ``sign_in_counters`` in the sign-in's transaction (no Redis)."""

    def blocked_until(self, keys: list[str], now: datetime) -> dict[str, datetime | None]:
        rows = db.session.execute(
            select(SignInCounter.key, SignInCounter.blocked_until).where(
                SignInCounter.key.in_(keys), SignInCounter.expires_at > now
            )
        ).all()
        found = dict(rows)
        return {k: found.get(k) for k in keys}

    def fail(self, key: str, rule: Rule, now: datetime, *, username: str) -> int:
        expires = now + timedelta(seconds=rule.forget_after)
        fresh = SignInCounter.expires_at <= now
        stmt = (
            upsert_insert(SignInCounter)
            .values(key=key, username=username, count=1, blocked_until=None, expires_at=expires)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "count": case((fresh, 1), else_=SignInCounter.count + 1),
                    "blocked_until": case((fresh, None), else_=SignInCounter.blocked_until),
                    "expires_at": expires,
                },
            )
            .returning(SignInCounter.count)
        )
        count = db.session.execute(stmt).scalar_one()
        wait = rule.wait(count)
        if wait:
            db.session.execute(
                update(SignInCounter)
                .where(SignInCounter.key == key)
                .values(blocked_until=now + timedelta(seconds=wait))
            )
        return count

    def clear(self, keys: list[str]) -> None:
        db.session.execute(delete(SignInCounter).where(SignInCounter.key.in_(keys)))

    def is_known(self, key: str, now: datetime) -> bool:
        return (
            db.session.scalar(select(SignInCounter.key).where(SignInCounter.key == key, SignInCounter.expires_at > now))
            is not None
        )

    def remember(self, key: str, until: datetime, *, username: str, now: datetime) -> None:
        # Expired counters go as users sign in (the expiry is indexed).
        db.session.execute(delete(SignInCounter).where(SignInCounter.expires_at <= now))
        db.session.execute(
            upsert_insert(SignInCounter)
            .values(key=key, username=username, count=1, blocked_until=None, expires_at=until)
            .on_conflict_do_update(index_elements=["key"], set_={"expires_at": until})
        )

    def _user_rows(self, user_part: str):
        pairs = SignInCounter.key.like(f"pair:{escape_like(user_part)}:%", escape="\\")
        return or_(pairs, SignInCounter.key == f"account:{user_part}")

    def clear_user(self, user_part: str, username: str) -> int:
        return db.session.execute(delete(SignInCounter).where(self._user_rows(user_part))).rowcount or 0

    def locked_user_parts(self, now: datetime) -> set[str]:
        keys = db.session.scalars(
            select(SignInCounter.key).where(
                or_(SignInCounter.key.like("pair:%"), SignInCounter.key.like("account:%")),
                SignInCounter.blocked_until > now,
                SignInCounter.expires_at > now,
            )
        )
        return {_user_part_of(key) for key in keys}

    def user_state(self, user_part: str, username: str, now: datetime) -> dict:
        rows = db.session.execute(
            select(SignInCounter.key, SignInCounter.count, SignInCounter.blocked_until).where(
                self._user_rows(user_part), SignInCounter.expires_at > now
            )
        ).all()
        account = sum(c for k, c, _ in rows if k.startswith("account:"))
        return _state(account, [b for _, _, b in rows], now)


def _state(account_failures: int, blocks: list, now: datetime) -> dict:
    active = [b for b in blocks if b and b > now]
    return {
        "account_failures": account_failures,
        "locked_until": max(active) if active else None,
        "locked_addresses": len(active),
    }


def _user_part_of(key: str) -> str:
    """The account of a ``pair:`` or ``account:`` key (quoted: it holds no colon)."""
    return key.split(":", 2)[1]


def _from_epoch(value) -> datetime | None:
    if value is None:
        return None
    from datetime import UTC

    return datetime.fromtimestamp(float(value), tz=UTC)
