"""Periodic jobs (each domain's, ``hotline.core.wiring.periodic_jobs``): deterministic job ids,
one scheduler at a time.

``flask --app wsgi scheduler`` runs :func:`run_scheduler`: every few seconds it enqueues
each periodic job whose time bucket has started, under the job id
``periodic-<name>-<bucket>`` with rq's ``unique=True``. However often the scheduler
restarts, and even if two run at once, a bucket's job is enqueued once: the second
``enqueue`` of the same id is refused by Redis atomically (DuplicateJobError). A Redis
lock (``hotline:scheduler``) also keeps a second scheduler idle while the first lives,
so the log shows one leader.

Why not rq's ``cron`` (2.12, beta): it has no lock, so two schedulers enqueue twice;
why not the ``rq-scheduler`` package: one more process model and dependency, and it
registers repeating jobs that a restart must de-duplicate by hand. The delayed work
(``enqueue_in``, ``Retry`` intervals) stays with rq's own scheduler, which every worker
runs (``with_scheduler=True``). Whatever the scheduler does, exactly-once is the
database's business (see ``hotline.sla.sweep``): a doubled sweep records nothing twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

from flask import Flask
from rq import Queue
from rq.exceptions import DuplicateJobError

from hotline.core.periodic import Periodic
from hotline.core.redis import get_redis
from hotline.core.wiring import periodic_jobs

from .context import AppJob

log = logging.getLogger(__name__)

LOCK_KEY = "hotline:scheduler"


def job_id(periodic: Periodic, now: datetime) -> str:
    return f"periodic-{periodic.name}-{int(now.timestamp()) // periodic.every}"


def tick(redis, jobs: tuple[Periodic, ...], now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job whose current bucket is not enqueued yet; returns their ids."""
    now = now or datetime.now(UTC)
    enqueued = []
    for periodic in jobs:
        jid = job_id(periodic, now)
        queue = Queue(periodic.queue, connection=redis, job_class=AppJob)
        try:
            queue.enqueue(
                periodic.path,
                job_id=jid,
                unique=True,
                job_timeout=periodic.timeout,
                # Keep the id long enough that a restarted scheduler sees the bucket is done.
                result_ttl=max(3 * periodic.every, 300),
                failure_ttl=30 * 86400,
                description=f"{periodic.name} (periodic)",
            )
        except DuplicateJobError:
            continue
        enqueued.append(jid)
    return enqueued


def run_scheduler(app: Flask, *, interval: float = 5.0, once: bool = False) -> None:
    redis = get_redis(app)
    if redis is None:
        raise RuntimeError("HOTLINE_REDIS_URL is not set: the embedded mode sweeps on a timer, no scheduler is needed")
    jobs = periodic_jobs(app)
    token = uuid.uuid4().hex
    ttl = max(int(interval * 4), 10)
    leader = False
    while True:
        if leader:
            # Renew only if the lock is still ours.
            leader = bool(redis.eval(_RENEW, 1, LOCK_KEY, token, ttl * 1000))
        if not leader:
            leader = bool(redis.set(LOCK_KEY, token, nx=True, px=ttl * 1000))
            if leader:
                log.info("scheduler: leading (lock %s)", LOCK_KEY)
        if leader:
            for jid in tick(redis, jobs):
                log.info("scheduler: enqueued %s", jid)
        if once:
            if leader:
                redis.eval(_RELEASE, 1, LOCK_KEY, token)
            return
        time.sleep(interval)


_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
