"""The embedded mode's watch: without Redis, the sweep runs on a timer in the app process.

A daemon thread, started lazily by the first request a process serves (so the Flask
reloader's watching parent, which serves none, never starts one), at most once per
process. Every run has its own app context and its own transactions. Configuration:
``HOTLINE_SWEEP_INTERVAL_SECONDS`` (default 60; 0 disables it). Not started when Redis
is configured (the scheduler and rq workers do the watching) nor in tests unless the
test sets ``SWEEP_TIMER``.
"""

from __future__ import annotations

import logging
import os
import threading

from flask import Flask

log = logging.getLogger(__name__)

_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}  # pid → the timer thread of that process
_stop = threading.Event()


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
    """Stop this process's timer (tests; the thread is a daemon otherwise)."""
    _stop.set()
    thread = _threads.pop(os.getpid(), None)
    if thread is not None:
        thread.join(timeout)


def _loop(app: Flask, interval: float) -> None:
    while not _stop.is_set():
        run_once(app)
        _stop.wait(interval)


def run_once(app: Flask):
    """One sweep in its own app context; a failure is logged and the timer goes on."""
    from ..core import clock
    from ..extensions import db
    from .sweep import run_sweep

    with app.app_context():
        try:
            return run_sweep(clock.now())
        except Exception as exc:
            db.session.rollback()
            log.exception("deadline sweep failed; the timer tries again in %s s", _interval(app))
            _record_failure(exc)
            return None
        finally:
            db.session.remove()


def _record_failure(exc: Exception) -> None:
    """Admins see it with the failed jobs (GET /api/v1/admin/jobs/failed)."""
    from ..core import clock
    from ..extensions import db
    from ..ops.services import record_failure
    from .jobs import SWEEP

    try:
        record_failure(path=SWEEP, args=(), queue="escalation", job_id="embedded-timer", exc=exc, now=clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the sweep's failure")
