from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class FailedJob(db.Model):
    """A background job that failed while running inline (the embedded mode, no Redis).

    With Redis, rq keeps failed jobs in its own FailedJobRegistry; both are listed to
    admins by ``GET /api/v1/admin/jobs/failed`` and ``flask --app wsgi jobs failed``.
    Arguments are ids only, never personal data.
    """

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSONType, default=list)
    queue: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
