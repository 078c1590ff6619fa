"""Failed background jobs: rq's FailedJobRegistry (with Redis) and inline failures (table)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from ..core.jobs import QUEUES
from ..core.redis import get_redis
from ..extensions import db
from .models import FailedJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    source: str  # "rq" or "inline"
    id: str
    queue: str
    path: str
    args: list
    error: str
    failed_at: datetime | None


def _last_line(error: str) -> str:
    lines = [line for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def inline_failures(limit: int) -> list[Failure]:
    rows = db.session.scalars(select(FailedJob).order_by(FailedJob.failed_at.desc(), FailedJob.id.desc()).limit(limit))
    return [
        Failure("inline", str(r.id), r.queue, r.path, list(r.args or []), _last_line(r.error), r.failed_at)
        for r in rows
    ]


def rq_failures(limit: int) -> list[Failure]:
    redis = get_redis()
    if redis is None:
        return []
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    found: list[Failure] = []
    for name in QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=redis):
            if job is None:  # expired between the two calls
                continue
            result = job.latest_result()
            error = result.exc_string if result is not None else ""
            ended = job.ended_at.replace(tzinfo=UTC) if job.ended_at and job.ended_at.tzinfo is None else job.ended_at
            found.append(Failure("rq", job.id, name, job.func_name, list(job.args), _last_line(error or ""), ended))
    return found


def failed_jobs(limit: int = 100) -> list[Failure]:
    items = rq_failures(limit) + inline_failures(limit)
    epoch = datetime.min.replace(tzinfo=UTC)
    items.sort(key=lambda f: f.failed_at or epoch, reverse=True)
    return items[:limit]


def inline_failure(failure_id: str) -> FailedJob | None:
    """One inline failure by its id (as the list shows it), or None."""
    if not (failure_id.isascii() and failure_id.isdigit() and len(failure_id) < 12):
        return None
    return db.session.get(FailedJob, int(failure_id))


def rq_failure(job_id: str) -> Failure | None:
    """One job of rq's failed registries by its id, or None (no Redis, or not failed)."""
    redis = get_redis()
    if redis is None or len(job_id) > 200:
        return None
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    for name in QUEUES:
        if job_id in FailedJobRegistry(queue=Queue(name, connection=redis)):
            try:
                job = Job.fetch(job_id, connection=redis)
            except NoSuchJobError:  # expired from the registry meanwhile
                return None
            result = job.latest_result()
            error = _last_line(result.exc_string if result is not None else "")
            return Failure("rq", job.id, name, job.func_name, list(job.args), error, job.ended_at)
    return None
