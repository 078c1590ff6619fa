from __future__ import annotations

from pydantic import BaseModel, Field

from ..core import clock
from ..core.validation import QuerySchema


class FailedJobsQuery(QuerySchema):
    limit: int = Field(default=100, ge=1, le=500)


class FailedJobOut(BaseModel):
    source: str = Field(description="rq (the failed job registry) or inline (embedded mode)")
    id: str
    queue: str
    path: str
    args: list
    error: str
    failed_at: str | None


class FailedJobListOut(BaseModel):
    items: list[FailedJobOut]


def failed_job_out(f) -> FailedJobOut:
    return FailedJobOut(
        source=f.source,
        id=f.id,
        queue=f.queue,
        path=f.path,
        args=f.args,
        error=f.error,
        failed_at=clock.isoformat(f.failed_at),
    )
