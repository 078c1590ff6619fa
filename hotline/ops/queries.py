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
