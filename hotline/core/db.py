"""Database engine set-up: SQLite pragmas and transaction mode, helpers.

SQLite (the embedded default) needs WAL, a busy timeout, foreign keys switched on, and
``BEGIN IMMEDIATE`` for transactions that will write: a deferred transaction that reads
and then writes fails with "database is locked" instead of waiting. Python's sqlite3
module opens transactions on its own, so, as SQLAlchemy documents, we switch that off
and emit BEGIN ourselves. Requests that only read (GET/HEAD) begin deferred, so they
never wait for a writer.

PostgreSQL: a pooled connection is checked with a ping before it is handed out only if it
has sat unused in the pool for more than ``IDLE_PING_SECONDS`` (a restarted server or a
firewall that dropped an idle connection is found there, and the pool connects anew).
SQLAlchemy's ``pool_pre_ping`` pings at every checkout, on a connection that was in use a
few milliseconds before: a ticket intake waited for the server 11 times with it, 8 without
(``bench/intake.py`` counts the round trips).
"""

from __future__ import annotations

import contextlib
import contextvars
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_PING_SECONDS = 10.0

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("hotline_sqlite_write_intent", default=True)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        if not event.contains(engine, "checkin", _mark_checkin):
            event.listen(engine, "checkin", _mark_checkin)
            event.listen(engine, "checkout", _idle_ping(engine.dialect))
        return
    if event.contains(engine, "connect", _sqlite_connect):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _mark_checkin(dbapi_connection, connection_record):
    connection_record.info["hotline_checked_in_at"] = time.monotonic()


def _idle_ping(dialect):
    def ping_if_idle(dbapi_connection, connection_record, connection_proxy):
        """Ping a connection that has been idle; a dead one is replaced (the pool checks
        out a new connection when a checkout listener raises DisconnectionError)."""
        checked_in = connection_record.info.get("hotline_checked_in_at")
        if checked_in is None or time.monotonic() - checked_in <= IDLE_PING_SECONDS:
            return  # new, or in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's own error: the connection is gone
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error

    return ping_if_idle


def _sqlite_connect(dbapi_connection, connection_record):
    # Let SQLAlchemy (our "begin" listener) decide when a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def _sqlite_begin(conn):
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def set_write_intent(value: bool) -> contextvars.Token:
    """Declare whether the current unit of work may write (SQLite only takes effect)."""
    return _write_intent.set(value)


def reset_write_intent(token: contextvars.Token) -> None:
    _write_intent.reset(token)


@contextlib.contextmanager
def read_only():
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so user text matches literally (use with escape='\\\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def upsert_insert(model):
    """A dialect-specific INSERT supporting ON CONFLICT (PostgreSQL and SQLite)."""
    from ..extensions import db

    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {name!r}")
    return insert(model)
