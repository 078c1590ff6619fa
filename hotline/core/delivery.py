"""Claiming and finishing an outbound delivery row, safely under at-least-once jobs.

The outbox (notifications) and the e-supervision deliveries share one life:
``pending → sending → (delivered | pending again for a retry | given up)``. A job claims
its row with one conditional UPDATE (``WHERE status = 'pending'``, or a ``sending`` claim
so old that its job must have died) and learns the attempt number from RETURNING; two
copies of the job running at once cannot both claim. The job commits the claim before it
calls out, so no transaction (and on SQLite no write lock) is held during the network
call, and finishes with another conditional UPDATE that only matches its own claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from ..extensions import db

PENDING, SENDING = "pending", "sending"

#: A ``sending`` claim older than this belongs to a job that died (rq's job timeouts are shorter).
STALE_CLAIM = timedelta(minutes=5)


def claim(model, row_id: int, now: datetime, *columns):
    """Claim ``row_id`` for one attempt; returns the RETURNING row (attempts first) or None."""
    stmt = (
        update(model)
        .where(
            model.id == row_id,
            or_(model.status == PENDING, and_(model.status == SENDING, model.claimed_at < now - STALE_CLAIM)),
        )
        .values(status=SENDING, attempts=model.attempts + 1, claimed_at=now, updated_at=now)
        .returning(model.attempts, *columns)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).first()


def finish(model, row_id: int, attempts: int, now: datetime, **values) -> bool:
    """Record the outcome of the attempt numbered ``attempts`` (only if it still holds the claim)."""
    stmt = (
        update(model)
        .where(model.id == row_id, model.status == SENDING, model.attempts == attempts)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).rowcount == 1


def stuck(model, now: datetime, *, retry_intervals, older_than_seconds: int | None = None) -> list[int]:
    """Ids of rows whose job was lost: ``pending`` and untouched for ``older_than_seconds``
    (by default the longest retry interval plus the stale-claim time, so a row waiting for
    its backoff is left alone), or ``sending`` under a stale claim (its worker died)."""
    if older_than_seconds is None:
        older_than_seconds = max((0, *retry_intervals)) + int(STALE_CLAIM.total_seconds())
    cutoff = now - timedelta(seconds=older_than_seconds)
    return list(
        db.session.scalars(
            select(model.id).where(
                or_(
                    and_(model.status == PENDING, model.updated_at < cutoff),
                    and_(model.status == SENDING, model.claimed_at < now - STALE_CLAIM),
                )
            )
        )
    )
