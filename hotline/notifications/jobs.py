"""The delivery job: ``deliver(notification_id, ...)`` on the ``notifications`` queue.

Idempotent and safe to run twice at once: a conditional UPDATE claims the row (see
``hotline.core.delivery``, which runs the job for the outbox and e-supervision alike), so a
message already sent is left alone, and one being sent by another copy of the job makes
this copy raise ``NotificationBusy`` (rq retries it later, by when the message is sent, or
its claim stale). A failed attempt puts the row back to ``pending`` with its error and
raises, so that rq retries it with the configured backoff; after the last attempt the row
is ``failed`` (an admin may retry it). In the embedded mode (no Redis) the attempts run
inline, one after the other.
"""

from __future__ import annotations

from flask import current_app

from ..core import delivery
from ..core.delivery import RETRY
from ..core.http import DeliveryError
from ..core.privacy import mask_numbers
from . import channels, services
from .models import Notification, Status

__all__ = ["FAILED", "RETRY", "NotificationBusy", "NotificationFailed", "attempt", "deliver", "requeue_stuck"]

FAILED = Status.FAILED.value


class NotificationFailed(Exception):
    """An attempt failed; raised so that rq records the failure and retries."""


class NotificationBusy(Exception):
    """Another copy of the job holds a fresh claim on the row: try again later."""


class Outbox(delivery.Outbound):
    model = Notification
    label = "notification"
    requeue_prefix = "notification"
    columns = (
        Notification.channel,
        Notification.idempotency_key,
        Notification.address,
        Notification.subject,
        Notification.body,
    )
    retry_intervals_key = "NOTIFY_RETRY_INTERVALS"
    given_up = FAILED
    delivered_at = "sent_at"
    failed = NotificationFailed
    busy = NotificationBusy

    def send(self, row_id: int, fields: tuple) -> str:
        channel_name, key, address, subject, body = fields
        channel = channels.configured(current_app.config).get(channel_name)
        if channel is None:
            raise DeliveryError(f"the {channel_name} channel is not configured any more")
        channel.send(channels.Message(key, address, subject, body))
        return channel.delivered_status

    def error_text(self, exc: Exception, fields: tuple) -> str:
        return mask_numbers(super().error_text(exc, fields), fields[2])  # never the recipient's number


OUTBOX = Outbox()


def deliver(notification_id: int, *more: int) -> str:
    """Deliver one message, or several queued by one transaction (each on its own)."""
    return OUTBOX.deliver(notification_id, *more)


def attempt(notification_id: int, *, max_attempts: int) -> str:
    """One delivery attempt. Returns the status reached, "skipped", RETRY or FAILED."""
    return OUTBOX.attempt(notification_id, max_attempts=max_attempts)


def requeue_stuck(older_than_seconds: int | None = None) -> int:
    """Queue again every message whose job was lost (see :meth:`Outbound.requeue_stuck`)."""
    return OUTBOX.requeue_stuck(services.enqueue, older_than_seconds)
