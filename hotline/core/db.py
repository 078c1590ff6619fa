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
SQLAlchemy's ``pool_pre_ping`` pings at every checkout, even on a connection that was in
use a moment before, which adds round trips to every request (``bench/intake.py`` counts
them; the README's benchmark table has the figures).
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import os
import sqlite3
import time

from sqlalchemy import Column, event, exc, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

IDLE_PING_SECONDS = 10.0

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("hotline_sqlite_write_intent", default=True)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        if not event.contains(engine, "checkin", _mark_checkin):
            event.listen(engine, "checkin", _mark_checkin)
            event.listen(engine, "checkout", _idle_ping(engine.dialect))
        if engine.dialect.name == "postgresql" and not event.contains(engine, "connect", _pg_connect):
            event.listen(engine, "connect", _pg_connect)
        return
    if event.contains(engine, "connect", _sqlite_connect):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _pg_connect(dbapi_connection, connection_record):
    """JIT off: the app's statements are short or index-driven, and compiling a big
    aggregate cost more than running it (the assessment figures at a million tickets:
    0.8 s of JIT in a 0.95 s statement; see the README's Benchmarks)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET jit = off")
    finally:
        cursor.close()
        dbapi_connection.autocommit = autocommit


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
    if _write_intent.get():
        dbapi_connection = conn.connection.dbapi_connection
        if isinstance(dbapi_connection, SerialisedWrites):
            dbapi_connection.take_write_lock()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


class SerialisedWrites(sqlite3.Connection):
    """A SQLite connection whose write transactions first take an exclusive lock on a file
    beside the database (``<database>-writers``), held until the transaction ends.

    SQLite has one write lock; a writer that finds it taken sleeps in its busy handler, in
    steps of up to 100 ms, and may sleep long after the lock is free: with four clients on
    the embedded default, steps waited up to a second (``bench/workflow.py --database
    sqlite``). Writers that wait on the lock file (``flock``, polled every millisecond)
    instead learn within a millisecond that it is free, in every process on the host. The
    wait is bounded by the busy timeout; after it, or for a database without a file, BEGIN
    IMMEDIATE waits as before. Readers take no lock (WAL).
    """

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._timeout = float(kwargs.get("timeout", 5.0))
        self._lock_fd: int | None = None
        self._held = False
        path = os.fspath(database) if isinstance(database, (str, bytes, os.PathLike)) else ""
        if isinstance(path, bytes):
            path = path.decode()
        if path and path != ":memory:" and not path.startswith("file:"):
            with contextlib.suppress(OSError):
                self._lock_fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)

    def take_write_lock(self) -> None:
        if self._lock_fd is None or self._held:
            return
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self._wait_for_lock():
                return  # BEGIN IMMEDIATE waits in SQLite's busy handler, as without the file
        self._held = True

    def _wait_for_lock(self) -> bool:
        # flock cannot wait with a time limit (a blocking call is not interrupted): poll.
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            time.sleep(0.001)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                continue
        return False

    def _release(self) -> None:
        if self._held:
            self._held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self):
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release()

    def close(self):
        try:
            super().close()
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


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


def built_once(build):
    """Decorate a function that builds a statement: the statement is built the first time,
    once per kind of database (an upsert is written in the database's dialect), and reused.

    For the statements every intake runs: building a statement and its cache key is a
    large part of what SQLAlchemy does to run it, an upsert's most of all. The values are
    bound at execution (``bindparam``).
    """
    statements = {}

    @functools.wraps(build)
    def statement():
        from ..extensions import db

        name = db.session.get_bind().dialect.name
        built = statements.get(name)
        if built is None:
            built = statements[name] = build()
        return built

    return statement


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


# --- rows written on the hot path without the unit of work ------------------------------
#
# Intake writes two new rows (the ticket and its first event) and is the busiest write of
# the product. Flushing them through the session's unit of work (cascades along every
# relationship, a dependency sort, one save per mapper touched) costs more than the write;
# one Core INSERT ... RETURNING per row does the same write. The row then becomes the ORM
# object a query would have returned, so that the rest of the request (signals, the
# response) works with the model as everywhere else. The statements are built once
# (built_once). bench/intake.py prints what one intake costs (statements, round trips,
# Python function calls); the README's benchmark table keeps the figures.


def insert_returning(model, values: dict, **related):
    """INSERT one row of ``model`` with a Core statement; the new row as a persistent object.

    ``values``: attribute name → value. Every column with a default must be given (the
    object must hold what the row holds); the others not given are NULL. ``related``:
    relationship name → an object (or list) already loaded, set on the new object so that
    reading it costs no query.
    """
    from ..extensions import db

    mapper = sa_inspect(model)
    missing = _defaulted(mapper).difference(values)
    if missing:
        raise ValueError(f"insert_returning({model.__name__}): give {', '.join(sorted(missing))} (they have defaults)")
    columns = _columns(mapper)
    params = {columns[key].key: value for key, value in values.items()}
    new_id = db.session.connection().execute(_insert_statement(mapper), params).scalar_one()
    return adopt(model, {**values, _primary_key(mapper): new_id}, **related)


def adopt(model, values: dict, **related):
    """The persistent object of a row just inserted with Core, without a query.

    ``values``: attribute name → value, the (single-column) primary key included; columns
    not given are taken as NULL (never expired: reading them must not query). ``related``:
    as for :func:`insert_returning`. If the transaction (or the savepoint) that inserted
    the row rolls back, the object leaves the session, as the objects the ORM inserts do.
    """
    from ..extensions import db

    session = db.session()
    mapper = sa_inspect(model)
    obj = model(**{attr: values.get(attr) for attr in _columns(mapper)})
    make_transient_to_detached(obj)  # its state is now "as loaded", with no pending change
    session.add(obj)
    for name, value in related.items():  # as a loader sets them: no history, nothing to flush
        set_committed_value(obj, name, value)
    inserted_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_ADOPTED, []).append((inserted_in, obj))
    return obj


_ADOPTED = "hotline_adopted_rows"


def install_session_listeners() -> None:
    """Once per process: forget adopted objects when their rows are rolled back or committed."""
    if not event.contains(Session, "after_soft_rollback", _drop_rolled_back_rows):
        event.listen(Session, "after_soft_rollback", _drop_rolled_back_rows)
        event.listen(Session, "after_commit", _forget_committed_rows)


def _drop_rolled_back_rows(session, previous_transaction) -> None:
    adopted = session.info.get(_ADOPTED)
    if not adopted:
        return
    kept = []
    for inserted_in, obj in adopted:
        transaction = inserted_in
        while transaction is not None and transaction is not previous_transaction:
            transaction = transaction.parent
        if transaction is None:  # inserted outside the transaction rolled back
            kept.append((inserted_in, obj))
        elif obj in session:
            session.expunge(obj)
    session.info[_ADOPTED] = kept


def _forget_committed_rows(session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release is not the commit
        session.info.pop(_ADOPTED, None)


@functools.cache
def _columns(mapper) -> dict:
    """Attribute name → its column, for a mapper's plain column attributes (not the SQL
    expressions a query may load, such as ``query_expression()``)."""
    return {attr.key: attr.columns[0] for attr in mapper.column_attrs if isinstance(attr.columns[0], Column)}


@functools.cache
def _defaulted(mapper) -> frozenset:
    """The attribute names of the columns with a default (Python-side or the server's)."""
    return frozenset(
        key
        for key, column in _columns(mapper).items()
        if column.default is not None or column.server_default is not None
    )


@functools.cache
def _primary_key(mapper) -> str:
    """The attribute name of the mapper's (single-column) primary key."""
    (column,) = mapper.primary_key
    return mapper.get_property_by_column(column).key


@functools.cache
def _insert_statement(mapper):
    (pk,) = mapper.primary_key
    return insert(mapper.local_table).returning(pk)
