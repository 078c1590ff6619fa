"""Claiming and finishing an outbound delivery row, safely under at-least-once jobs.

The outbox (notifications) and the e-supervision deliveries share one life:
``pending → sending → (delivered | pending again for a retry | given up)``. A job claims
its row with one conditional UPDATE (``WHERE status = 'pending'``, or a ``sending`` claim
so old that its job must have died) and learns the attempt number from RETURNING; two
copies of the job running at once cannot both claim. The job commits the claim before it
calls out, so no transaction (and on SQLite no write lock) is held during the network
call, and finishes with another conditional UPDATE that only matches its own claim.

:class:`Outbound` is the delivery job both share (claim, send, retry or give up, requeue
what was lost), and :func:`redo_from_cli` / :func:`requeue_command` their command lines;
each domain says only how one row is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from . import clock
from .errors import DomainError
from .http import DeliveryError
from .redis import get_redis

log = logging.getLogger(__name__)

PENDING, SENDING = "pending", "sending"
RETRY = "retry"  # an attempt failed and another one is due

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


class NotSent(str):
    """What :meth:`Outbound.send` returns when it did not call out (e.g. the channel is not
    configured): the row takes that status, and no attempt is counted as failed."""


class Outbound:
    """One kind of outbound row and how to deliver it; subclasses fill in the class
    attributes and :meth:`send` (and :meth:`error_text` if errors need masking)."""

    model: type  # the row: id, status, attempts, claimed_at, updated_at, last_error
    label: str  # "notification": in log lines and error messages
    requeue_prefix: str  # "notification": the requeued job's id is "<prefix>-<id>-requeue-<timestamp>"
    columns: tuple = ()  # what send() needs, read with the claim (RETURNING)
    retry_intervals_key: str  # the config key of the retry intervals (seconds)
    given_up: str  # the status after the last failed attempt
    delivered_at: str  # the column that keeps when it was delivered
    failed: type[Exception]  # raised when an attempt failed, so that rq retries
    busy: type[Exception]  # raised when another copy of the job holds a fresh claim

    def send(self, row_id: int, fields: tuple) -> str:
        """Call out; return the status the row takes, or a :class:`NotSent`; raise on failure."""
        raise NotImplementedError

    def error_text(self, exc: Exception, fields: tuple) -> str:
        return f"{exc}" or type(exc).__name__

    def failure_message(self, row_id: int, outcome: str, error: str | None) -> str:
        return f"{self.label} {row_id}: {error}"

    def max_attempts(self) -> int:
        return len(current_app.config[self.retry_intervals_key]) + 1

    def deliver(self, row_id: int, *more: int) -> str:
        """The job: one attempt for each row (all of them inline in the embedded mode, where no
        rq retries). The rows one transaction wrote share one job (one job queued per request,
        not one per message), each with its own claim, attempts and outcome: a row that fails
        is raised after the others were tried, so that rq retries the job, and on its retry
        the rows already done are skipped (their claim no longer matches). Returns the row's
        outcome, or the rows' outcomes joined by commas."""
        outcomes, first_error = [], None
        for one in (row_id, *more):
            try:
                outcomes.append(self._deliver_one(one))
            except (self.failed, self.busy) as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return ",".join(outcomes)

    def _deliver_one(self, row_id: int) -> str:
        max_attempts = self.max_attempts()
        outcome = self.attempt(row_id, max_attempts=max_attempts)
        if get_redis() is None:
            while outcome == RETRY:
                outcome = self.attempt(row_id, max_attempts=max_attempts)
        if outcome in (RETRY, self.given_up):
            error = db.session.scalar(select(self.model.last_error).where(self.model.id == row_id))
            db.session.commit()
            raise self.failed(self.failure_message(row_id, outcome, error))
        return outcome

    def attempt(self, row_id: int, *, max_attempts: int) -> str:
        """One attempt. Returns the status reached, "skipped", RETRY or ``given_up``."""
        model = self.model
        now = clock.now()
        claimed = claim(model, row_id, now, *self.columns)
        db.session.commit()  # the claim is visible before we call out; no transaction is held meanwhile
        if claimed is None:
            status = db.session.scalar(select(model.status).where(model.id == row_id))
            db.session.commit()
            if status == SENDING:
                raise self.busy(f"{self.label} {row_id} is being sent by another job")
            return "skipped"
        attempts, *fields = claimed
        try:
            status = self.send(row_id, tuple(fields))
        except Exception as exc:
            if not isinstance(exc, DeliveryError):
                log.exception("%s %s: unexpected error", self.label, row_id)
            error = self.error_text(exc, tuple(fields))[:1000]
            final = attempts >= max_attempts
            finish(model, row_id, attempts, clock.now(), status=self.given_up if final else PENDING, last_error=error)
            db.session.commit()
            log.warning("%s %s attempt %s/%s failed: %s", self.label, row_id, attempts, max_attempts, error)
            return self.given_up if final else RETRY
        if isinstance(status, NotSent):
            finish(model, row_id, attempts, now, status=str(status))
            db.session.commit()
            return str(status)
        done = clock.now()
        finish(model, row_id, attempts, done, status=status, last_error=None, **{self.delivered_at: done})
        db.session.commit()
        return status

    def requeue_stuck(self, enqueue: Callable[[int, str], object], older_than_seconds: int | None = None) -> int:
        """Queue again every row left ``pending`` (its job lost, e.g. Redis was down at the
        commit) or ``sending`` under a stale claim (its worker died). Safe at any time, also
        periodically: a row whose job still exists is claimed by one copy only. By default
        "left" means untouched for longer than the longest retry interval plus the
        stale-claim time, so a row waiting for its backoff is not disturbed.
        ``enqueue(row_id, job_id)`` queues one row's job."""
        now = clock.now()
        ids = stuck(
            self.model,
            now,
            retry_intervals=current_app.config[self.retry_intervals_key],
            older_than_seconds=older_than_seconds,
        )
        for row_id in ids:
            enqueue(row_id, f"{self.requeue_prefix}-{row_id}-requeue-{int(now.timestamp())}")
        if ids:
            log.warning("requeued %s stuck %s(s): %s", len(ids), self.label, ids[:20])
        return len(ids)


# --- the command lines ----------------------------------------------------------------


def redo_from_cli(ids, *, get: Callable[[int], object], redo: Callable, noun: str) -> None:
    """``redo(row, actor=None, now=now)`` for every id, in one transaction: an unknown id
    or a refusal rolls all of them back and ends the command with its message."""
    now = clock.now()
    for row_id in ids:
        row = get(row_id)
        if row is None:
            db.session.rollback()
            raise click.ClickException(f"no {noun} {row_id}")
        try:
            redo(row, actor=None, now=now)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"{noun} {row_id}: {exc.message}") from None
    db.session.commit()


def requeue_command(requeue_stuck: Callable[[int | None], int], *, counted: Callable[[int], str], help: str):
    """The ``requeue`` command of an outbound kind: ``requeue_stuck(older_than)`` returns how
    many rows it queued again; ``counted(n)`` says it ("3 message(s)")."""

    @click.command("requeue", help=help)
    @click.option("--older-than", "older_than", type=click.IntRange(0), help="Seconds untouched (default: safe).")
    @with_appcontext  # as AppGroup.command does for the commands declared on a group
    def command(older_than):
        count = requeue_stuck(older_than)
        db.session.commit()
        click.echo(f"requeued {counted(count)}")

    return command
