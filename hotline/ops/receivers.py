"""How operations hears of failed inline jobs, through ``signals.job_failed`` (the core's
job runner imports no domain, so it reports the failure and this receiver keeps it)."""

from __future__ import annotations

from ..core import signals
from .services import record_failure


def on_job_failed(path: str, *, args, queue: str, job_id: str | None, exc: BaseException, now, **_kwargs) -> None:
    record_failure(path=path, args=args, queue=queue, job_id=job_id, exc=exc, now=now)


def connect() -> None:
    """Idempotent: blinker keeps one connection per receiver function."""
    signals.job_failed.connect(on_job_failed)
