from __future__ import annotations

import traceback
from datetime import datetime

from ..extensions import db
from .models import FailedJob

MAX_ERROR = 20000


def record_failure(*, path: str, args, queue: str, job_id: str | None, exc: BaseException, now: datetime) -> FailedJob:
    """Keep an inline job's failure where admins see it (in the caller's transaction)."""
    error = "".join(traceback.format_exception(exc))[-MAX_ERROR:]
    row = FailedJob(path=path, args=list(args), queue=queue, job_id=job_id, error=error, failed_at=now)
    db.session.add(row)
    return row


def retry_inline(row: FailedJob, *, actor, now: datetime) -> None:
    """Run an inline job's failure again (admins): the row goes, the job runs after the
    commit; failing again records a new row. Jobs are idempotent, so a retry is safe."""
    from flask import current_app

    from ..audit.services import record
    from ..core import hooks, jobs

    spec = jobs.JobSpec(row.path, tuple(row.args or ()), row.queue, row.job_id)
    record(
        actor=actor,
        action="failed_job.retry",
        object_type="failed_job",
        object_id=f"inline:{row.id}",
        now=now,
        data={"path": row.path, "args": list(row.args or []), "queue": row.queue},
    )
    db.session.delete(row)
    db.session.flush()
    hooks.after_commit(db.session(), jobs.submit, current_app._get_current_object(), spec)


def retry_rq(failure, *, actor, now: datetime) -> None:
    """Put a job of rq's failed registry back on its queue (after the commit). Audited."""
    from ..audit.services import record
    from ..core import hooks

    record(
        actor=actor,
        action="failed_job.retry",
        object_type="failed_job",
        object_id=f"rq:{failure.id}",
        now=now,
        data={"path": failure.path, "args": list(failure.args), "queue": failure.queue},
    )
    hooks.after_commit(db.session(), _requeue, failure.queue, failure.id)


def _requeue(queue: str, job_id: str) -> None:
    from rq import Queue
    from rq.registry import FailedJobRegistry

    from ..core.redis import get_redis

    FailedJobRegistry(queue=Queue(queue, connection=get_redis())).requeue(job_id)
