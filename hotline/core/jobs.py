"""Background jobs: registered in a transaction, submitted after it commits.

Web code names a job by its dotted path and passes ids only (never phone numbers or
complaint text: job arguments sit in Redis, and rq's pickle is code). With
``HOTLINE_REDIS_URL`` set, jobs go to rq queues served by ``flask --app wsgi worker``;
without it (the embedded default) they run inline, in a fresh application context and
transaction, right after the commit that asked for them: in the request, or under gunicorn
on the process's background thread (``INLINE_JOBS_BACKGROUND``), after the answer.

rq delivers a job at least once: every job must be idempotent and let the database
decide what has been done.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from werkzeug.utils import import_string

from ..extensions import db
from . import hooks
from .redis import get_redis

log = logging.getLogger(__name__)

QUEUES = ("default", "notifications", "escalation", "search_index", "kb_vectors")


@dataclass(frozen=True)
class JobSpec:
    path: str
    args: tuple = ()
    queue: str = "default"
    job_id: str | None = None
    timeout: int = 300
    retry_intervals: tuple[int, ...] = field(default_factory=tuple)
    description: str | None = None


def _check(spec: JobSpec) -> None:
    if spec.queue not in QUEUES:
        raise ValueError(f"unknown queue {spec.queue!r}")
    for arg in spec.args:
        if isinstance(arg, bool) or not isinstance(arg, (int, str)) or (isinstance(arg, str) and len(arg) > 128):
            raise TypeError(f"job arguments are ids (int or short str), got {arg!r}")


def enqueue(
    path: str,
    *args,
    queue: str = "default",
    job_id: str | None = None,
    timeout: int = 300,
    retry_intervals: tuple[int, ...] = (),
    description: str | None = None,
) -> JobSpec:
    """Run ``path(*args)`` in the background once the current transaction commits."""
    spec = JobSpec(path, tuple(args), queue, job_id, timeout, tuple(retry_intervals), description)
    _check(spec)
    app = current_app._get_current_object()
    hooks.after_commit_batched(db.session(), submit_many, app, spec)
    return spec


def submit(app: Flask, spec: JobSpec):
    """Send a job now: to rq when Redis is configured, otherwise run it inline."""
    _check(spec)
    redis = get_redis(app)
    if redis is None:
        return run_inline(app, spec)
    from rq import Queue

    return Queue(spec.queue, connection=redis).enqueue_call(spec.path, args=spec.args, **_rq_options(spec))


def submit_many(app: Flask, specs: list[JobSpec]) -> None:
    """Send a transaction's jobs: to rq in one pipeline (one round trip to Redis, however many
    jobs; rq's own commands per job are unchanged), otherwise run each inline in turn, a
    failing one logged (and recorded) without stopping the others."""
    for spec in specs:
        _check(spec)
    redis = get_redis(app)
    if redis is None:
        if app.config.get("INLINE_JOBS_BACKGROUND"):
            _background().put((app, specs))
        else:
            _run_all_inline(app, specs)
        return
    from rq import Queue

    queues: dict[str, Queue] = {}
    with redis.pipeline() as pipe:
        for spec in specs:
            queue = queues.get(spec.queue)
            if queue is None:
                queue = queues[spec.queue] = Queue(spec.queue, connection=redis)
            queue.enqueue_call(spec.path, args=spec.args, pipeline=pipe, **_rq_options(spec))
        pipe.execute()


def _run_all_inline(app: Flask, specs: list[JobSpec]) -> None:
    for spec in specs:
        try:
            run_inline(app, spec)
        except Exception:  # logged with its traceback and recorded by run_inline
            log.debug("inline job %s failed; the next ones still run", spec.path)


# -- the embedded mode's background thread ------------------------------------------------
#
# Without Redis, a web server's request would otherwise run its jobs after its commit and
# before its answer: the operator waits for the messages to be delivered and the dispatch
# suggestion recorded, and on SQLite every other writer waits for their transactions too
# (measured in bench/workflow.py on SQLite). With ``INLINE_JOBS_BACKGROUND`` (gunicorn's
# workers turn it on: gunicorn.conf.py) each process runs them on one thread of its own, in
# the order they were committed. A process that exits waits for what is queued (at most
# ``DRAIN_SECONDS``); messages and e-supervision deliveries that a killed one lost are
# queued again by their periodic ``requeue`` sweeps, as when a process is killed between a
# commit and its inline jobs.

DRAIN_SECONDS = 30
_runner_lock = threading.Lock()
_runner: tuple[int, queue.Queue] | None = None


def _background() -> queue.Queue:
    global _runner
    with _runner_lock:
        if _runner is None or _runner[0] != os.getpid():  # a forked child starts its own
            work: queue.Queue = queue.Queue()
            threading.Thread(target=_work, args=(work,), name="hotline-jobs", daemon=True).start()
            atexit.register(_drain, work)
            _runner = (os.getpid(), work)
        return _runner[1]


def _work(work: queue.Queue) -> None:
    while True:
        app, specs = work.get()
        try:
            _run_all_inline(app, specs)
        except Exception:  # never ends the thread
            log.exception("background jobs failed")
        finally:
            work.task_done()


def _drain(work: queue.Queue, seconds: float = DRAIN_SECONDS) -> bool:
    """Wait until the queued jobs have run (at most ``seconds``); returns whether they did."""
    deadline = time.monotonic() + seconds
    while work.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.01)
    return not work.unfinished_tasks


def wait_for_background(seconds: float = DRAIN_SECONDS) -> bool:
    """Wait for this process's background jobs (tests, benches); True when none is left."""
    return _runner is None or _runner[0] != os.getpid() or _drain(_runner[1], seconds)


def _rq_options(spec: JobSpec) -> dict:
    from rq import Retry

    options: dict = {
        "timeout": spec.timeout,
        "result_ttl": 3600,
        "failure_ttl": 30 * 86400,
        "description": spec.description or spec.path,
    }
    if spec.job_id:
        options["job_id"] = spec.job_id
    if spec.retry_intervals:
        options["retry"] = Retry(max=len(spec.retry_intervals), interval=list(spec.retry_intervals))
    return options


def run_inline(app: Flask, spec: JobSpec):
    """Run a job in this process, in its own application context and transaction."""
    with app.app_context():
        func = import_string(spec.path)
        try:
            result = func(*spec.args)
            db.session.commit()
            return result
        except Exception as exc:
            db.session.rollback()
            log.exception("inline job %s%r failed", spec.path, spec.args)
            _record_inline_failure(spec, exc)
            raise


def _record_inline_failure(spec: JobSpec, exc: Exception) -> None:
    """Report the failure (the ops domain keeps it where admins see it: GET
    /api/v1/admin/jobs/failed) and commit what the receivers wrote."""
    from . import signals
    from .clock import now

    try:
        signals.job_failed.send(spec.path, args=spec.args, queue=spec.queue, job_id=spec.job_id, exc=exc, now=now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record the failure of inline job %s", spec.path)
