"""The delivery job: ``deliver(notification_id)`` on the ``notifications`` queue.

Idempotent and safe to run twice at once: a conditional UPDATE claims the row (see
``hotline.core.delivery``), so a message already sent is left alone, and one being sent
by another copy of the job makes this copy raise ``NotificationBusy`` (rq retries it
later, by when the message is sent, or its claim stale). A failed attempt puts the row
back to ``pending`` with its error and raises, so that rq retries it with the configured
backoff; after the last attempt the row is ``failed`` (an admin may retry it). In the
embedded mode (no Redis) the attempts run inline, one after the other.
"""

from __future__ import annotations

import logging

from flask import current_app

from ..core import clock, delivery
from ..core.http import DeliveryError
from ..core.privacy import mask_numbers
from ..core.redis import get_redis
from ..extensions import db
from . import channels, services
from .models import Notification, Status

log = logging.getLogger(__name__)

RETRY, FAILED = "retry", "failed"


class NotificationFailed(Exception):
    """An attempt failed; raised so that rq records the failure and retries."""


class NotificationBusy(Exception):
    """Another copy of the job holds a fresh claim on the row: try again later."""


def deliver(notification_id: int) -> str:
    max_attempts = len(current_app.config["NOTIFY_RETRY_INTERVALS"]) + 1
    outcome = attempt(notification_id, max_attempts=max_attempts)
    if get_redis() is None:
        while outcome == RETRY:  # embedded mode: no rq to retry for us
            outcome = attempt(notification_id, max_attempts=max_attempts)
    if outcome in (RETRY, FAILED):
        error = db.session.scalar(db.select(Notification.last_error).where(Notification.id == notification_id))
        db.session.commit()
        raise NotificationFailed(f"notification {notification_id}: {error}")
    return outcome


def attempt(notification_id: int, *, max_attempts: int) -> str:
    """One delivery attempt. Returns the status reached, "skipped", RETRY or FAILED."""
    now = clock.now()
    claimed = delivery.claim(
        Notification,
        notification_id,
        now,
        Notification.channel,
        Notification.idempotency_key,
        Notification.address,
        Notification.subject,
        Notification.body,
    )
    db.session.commit()  # the claim is visible before we call out; no transaction is held meanwhile
    if claimed is None:
        status = db.session.scalar(db.select(Notification.status).where(Notification.id == notification_id))
        db.session.commit()
        if status == Status.SENDING:
            raise NotificationBusy(f"notification {notification_id} is being sent by another job")
        return "skipped"
    attempts, channel_name, key, address, subject, body = claimed
    channel = channels.configured(current_app.config).get(channel_name)
    try:
        if channel is None:
            raise DeliveryError(f"the {channel_name} channel is not configured any more")
        channel.send(channels.Message(key, address, subject, body))
    except Exception as exc:
        if not isinstance(exc, DeliveryError):
            log.exception("notification %s: unexpected error in the %s channel", notification_id, channel_name)
        error = mask_numbers(f"{exc}" or type(exc).__name__, address)[:1000]
        final = attempts >= max_attempts
        delivery.finish(
            Notification,
            notification_id,
            attempts,
            clock.now(),
            status=(Status.FAILED if final else Status.PENDING).value,
            last_error=error,
        )
        db.session.commit()
        log.warning("notification %s attempt %s/%s failed: %s", notification_id, attempts, max_attempts, error)
        return FAILED if final else RETRY
    done = clock.now()
    delivery.finish(
        Notification, notification_id, attempts, done, status=channel.delivered_status, sent_at=done, last_error=None
    )
    db.session.commit()
    return channel.delivered_status


def requeue_stuck(older_than_seconds: int | None = None) -> int:
    """Queue again every message left ``pending`` (its job lost, e.g. Redis was down at the
    commit) or ``sending`` under a stale claim (its worker died). Safe to run at any time,
    also periodically: a message whose job still exists is claimed by one copy only.

    By default "left" means untouched for longer than the longest retry interval plus the
    stale-claim time, so a message waiting for its backoff is not disturbed.
    """
    now = clock.now()
    ids = delivery.stuck(
        Notification,
        now,
        retry_intervals=current_app.config["NOTIFY_RETRY_INTERVALS"],
        older_than_seconds=older_than_seconds,
    )
    for notification_id in ids:
        services.enqueue(notification_id, f"notification-{notification_id}-requeue-{int(now.timestamp())}")
    if ids:
        log.warning("requeued %s stuck notification(s): %s", len(ids), ids[:20])
    return len(ids)
