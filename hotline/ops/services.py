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
