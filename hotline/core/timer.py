"""The embedded mode's timer: without Redis, the periodic jobs run on a timer in the app process.

It belongs to the core, not to a domain: it runs every job of ``hotline.core.periodic``
(the deadline sweep is one of them) by dotted path, and imports no domain.

A daemon thread, started lazily by the first request a process serves (so the Flask
reloader's watching parent, which serves none, never starts one), at most once per
process. It runs what ``flask --app wsgi scheduler`` enqueues with Redis
(every domain's periodic jobs, ``hotline.core.wiring.periodic_jobs``): the deadline sweep every
``HOTLINE_SWEEP_INTERVAL_SECONDS`` (default 60; 0 disables the timer), the knowledge base's
review-due flagging hourly, the requeue of lost messages and deliveries every 10 minutes.
Every run has its own app context and its own transactions; a failure is logged and listed
with the failed jobs, and the timer goes on. Not started when Redis is configured (the scheduler and rq workers do the
work) nor in tests unless the test sets ``SWEEP_TIMER``.

Several processes on one data directory (gunicorn with several workers) each start a timer,
but only the one holding the directory's lock file (``embedded-timer.lock``, an exclusive
``flock``) runs the jobs; the others check again every round and take over when the holder
exits, since the operating system releases the lock of a process that ends, however it ends.
On PostgreSQL the holder also needs the database's advisory lock (``pg_try_advisory_lock``,
held on a connection of its own), so that hosts sharing the database without Redis run the
periodic jobs on one of them, not one per host; PostgreSQL releases it when the holder's
connection ends. The database keeps every job exactly once anyway: the locks only spare the
repeated work. Several hosts are meant to run the scheduler with Redis (``workers/schedule.py``).
"""

from __future__ import annotations

import logging
import os
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: every process runs its jobs (still exactly once)
    fcntl = None

from flask import Flask
from sqlalchemy import text

log = logging.getLogger(__name__)

_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}  # pid → the timer thread of that process
_stop = threading.Event()
_held: dict[int, object] = {}  # pid → the open lock file this process holds (None: runs without one)
_db_held: dict[int, object] = {}  # id(app) → the connection holding the database's advisory lock
LOCK_FILE = "embedded-timer.lock"
ADVISORY_LOCK = 123450001  # the embedded timer's key among PostgreSQL's advisory locks


def install(app: Flask) -> None:
    """Start this process's timer on the first request it serves (called by create_app)."""

    @app.before_request
    def _start_periodic_timer():
        maybe_start(app)


def enabled(app: Flask) -> bool:
    return bool(app.config.get("SWEEP_TIMER")) and not app.config.get("REDIS_URL") and _interval(app) > 0


def _interval(app: Flask) -> float:
    return float(app.config.get("SWEEP_INTERVAL_SECONDS", 60) or 0)


def maybe_start(app: Flask) -> threading.Thread | None:
    """Start this process's timer if it should run and is not running yet."""
    if not enabled(app):
        return None
    pid = os.getpid()
    thread = _threads.get(pid)
    if thread is not None and thread.is_alive():
        return thread
    with _lock:
        thread = _threads.get(pid)
        if thread is None or not thread.is_alive():
            _stop.clear()
            thread = threading.Thread(target=_loop, args=(app, _interval(app)), name="hotline-sweep", daemon=True)
            _threads[pid] = thread
            thread.start()
            log.info("deadline sweep timer started (every %s s, pid %s)", _interval(app), pid)
    return thread


def stop(timeout: float = 10) -> None:
    """Stop this process's timer (tests; the thread is a daemon otherwise) and let go of the lock."""
    _stop.set()
    thread = _threads.pop(os.getpid(), None)
    if thread is not None:
        thread.join(timeout)
    held = _held.pop(os.getpid(), None)
    if held is not None:
        held.close()  # closing the file releases the flock
    for key in list(_db_held):
        release_database_lock(key)


def release_database_lock(key: int) -> None:
    connection = _db_held.pop(key, None)
    if connection is not None:
        try:
            connection.close()  # the session ends on the server: its advisory lock goes with it
        except Exception:
            log.exception("closing the embedded timer's lock connection failed")


def holds_database_lock(app: Flask) -> bool:
    """On PostgreSQL, whether this process holds (or takes now) the database's advisory lock
    of the embedded timer; always True on SQLite (one machine). Checked on the server each
    round: a connection that was lost and opened again has lost the lock, and takes it again
    only when it is free."""
    if not str(app.config.get("DATABASE_URL", "")).startswith("postgresql"):
        return True
    from ..extensions import db

    key = id(app)
    try:
        connection = _db_held.get(key)
        if connection is None:
            with app.app_context():
                connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            _db_held[key] = connection
        held = bool(connection.execute(text(_TAKE_OR_HOLD), {"key": ADVISORY_LOCK}).scalar())
    except Exception:
        log.exception("cannot check the embedded timer's database lock; not running the periodic jobs now")
        release_database_lock(key)
        return False
    if not held:
        release_database_lock(key)  # no idle connection kept by the hosts that wait
    return held


# True when this session holds the lock already, else whether it takes it now (a session-level
# lock, which PostgreSQL releases when the session ends).
_TAKE_OR_HOLD = (
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = 0 AND objid = CAST(:key AS oid) AND objsubid = 1)"
    " THEN true ELSE pg_try_advisory_lock(CAST(:key AS bigint)) END"
)


def holds_lock(app: Flask) -> bool:
    """Whether this process runs the periodic jobs: it holds the data directory's timer lock,
    or takes it now if it is free. Once taken, it is kept until the process ends."""
    pid = os.getpid()
    if pid in _held:
        return True
    if fcntl is None:  # pragma: no cover
        return True
    path = os.path.join(app.config["DATA_DIR"], LOCK_FILE)
    try:
        handle = open(path, "a")  # noqa: SIM115 - kept open on purpose: the lock lives as long as the file
    except OSError as exc:  # an unwritable data directory: run the jobs anyway (still exactly once)
        log.warning("cannot open %s (%s): this process runs the periodic jobs without the lock", path, exc)
        _held[pid] = None  # decided for this process: not retried (nor logged) every round
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _held[pid] = handle
    log.info("this process (pid %s) runs the embedded periodic jobs", pid)
    return True


def _loop(app: Flask, interval: float) -> None:
    from .wiring import periodic_jobs

    jobs = periodic_jobs(app)
    every = {p.name: p.timer_interval(app.config) for p in jobs}
    due = dict.fromkeys(every, 0.0)
    while not _stop.is_set():
        # Another process on this data directory, or another host on this database, runs them.
        if not holds_lock(app) or not holds_database_lock(app):
            _stop.wait(interval)
            continue
        for periodic in jobs:
            if time.monotonic() >= due[periodic.name]:
                run_periodic(app, periodic)
                due[periodic.name] = time.monotonic() + every[periodic.name]
        _stop.wait(max(0.0, min(due.values()) - time.monotonic()))


def run_periodic(app: Flask, periodic):
    """Run one periodic job as an inline job: its own app context and transaction; a
    failure is logged and listed with the failed jobs (``run_inline`` does both)."""
    from . import jobs

    spec = jobs.JobSpec(periodic.path, queue=periodic.queue, job_id="embedded-timer", timeout=periodic.timeout)
    try:
        return jobs.run_inline(app, spec)
    except Exception:  # logged and recorded by run_inline; the timer goes on
        return None
