"""SQLite writers queue on a lock file beside the database (hotline.core.db.SerialisedWrites):
the next writer starts the moment the lock is free, not after SQLite's busy handler sleeps."""

import sqlite3
import threading

import pytest

from hotline.core.db import SerialisedWrites

pytestmark = pytest.mark.any_database


def _connect(path, timeout=5.0):
    return sqlite3.connect(
        path, timeout=timeout, factory=SerialisedWrites, isolation_level=None, check_same_thread=False
    )


def _write(conn, value, then=None):
    conn.take_write_lock()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (?)", (value,))
    if then:
        then()


@pytest.fixture
def pair(tmp_path):
    path = tmp_path / "hotline.sqlite3"
    first, second = _connect(path), _connect(path)
    first.execute("CREATE TABLE t (x)")
    yield first, second
    first.close()
    second.close()


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_writer_waits_on_the_lock_file_not_in_sqlite(pair, end):
    first, second = pair
    second.execute("PRAGMA busy_timeout=0")  # waiting inside SQLite would fail at once: database is locked
    order, errors = [], []

    def write():
        try:
            _write(second, 2, lambda: order.append("second began"))
        except sqlite3.OperationalError as exc:
            errors.append(exc)

    _write(first, 1)
    thread = threading.Thread(target=write)
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and order == []  # queued on the lock file

    order.append(f"first {end}")
    getattr(first, end)()
    thread.join(5)
    second.commit()

    assert errors == [] and order == [f"first {end}", "second began"]
    assert [r[0] for r in first.execute("SELECT x FROM t ORDER BY x")] == ([1, 2] if end == "commit" else [2])


def test_the_lock_is_left_when_the_connection_closes(pair, tmp_path):
    first, _second = pair
    _write(first, 1)
    first.close()
    third = _connect(tmp_path / "hotline.sqlite3", timeout=0.5)

    third.take_write_lock()

    assert third._held  # taken, not given up after the wait
    third.rollback()
    assert not third._held
    third.close()


def test_a_reader_takes_no_lock(pair):
    first, second = pair
    _write(first, 1)
    assert second.execute("SELECT count(*) FROM t").fetchone() == (0,)  # WAL or not: the committed state
    first.commit()


def test_a_database_in_memory_has_no_lock_file():
    conn = sqlite3.connect(":memory:", factory=SerialisedWrites, isolation_level=None)
    conn.take_write_lock()  # nothing to lock: no error
    conn.execute("BEGIN IMMEDIATE")
    conn.commit()
    conn.close()


def test_the_apps_sqlite_engine_queues_its_writers(make_app):
    app = make_app()
    with app.app_context():
        from hotline.extensions import db

        assert db.engine.dialect.name == "sqlite"  # any_database: the SQLite run
        raw = db.engine.raw_connection()
        try:
            assert isinstance(raw.dbapi_connection, SerialisedWrites)
        finally:
            raw.close()
