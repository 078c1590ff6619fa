"""The connector's delivery job: ``deliver(delivery_id)`` on the ``escalation`` queue.

Idempotent and safe to run twice at once (a conditional UPDATE claims the row; see
``hotline.core.delivery``, which runs the job for e-supervision and the outbox alike; a copy
that finds a fresh claim raises ``DeliveryBusy``). It POSTs the frozen body with its
signature and idempotency key; a failure puts the row back to ``pending`` and raises so
that rq retries with the configured backoff; after the last attempt the row is ``dead``
(the dead-letter list). In the embedded mode (no Redis) the attempts run inline, one
after the other.
"""

from __future__ import annotations

from flask import current_app

from ..core import delivery
from ..core.delivery import RETRY
from ..core.http import post
from . import connector
from .models import DeliveryStatus, EsupDelivery

__all__ = ["DEAD", "RETRY", "DeliveryBusy", "DeliveryFailed", "attempt", "deliver", "requeue_stuck"]

DEAD = DeliveryStatus.DEAD.value


class DeliveryFailed(Exception):
    """An attempt failed; raised so that rq records it and retries."""


class DeliveryBusy(Exception):
    """Another copy of the job holds a fresh claim on the delivery: try again later."""


class Connector(delivery.Outbound):
    model = EsupDelivery
    label = "e-supervision delivery"
    requeue_prefix = "esup-delivery"
    columns = (EsupDelivery.idempotency_key, EsupDelivery.event, EsupDelivery.body)
    retry_intervals_key = "ESUP_RETRY_INTERVALS"
    given_up = DEAD
    delivered_at = "delivered_at"
    failed = DeliveryFailed
    busy = DeliveryBusy

    def send(self, row_id: int, fields: tuple) -> str:
        config = current_app.config
        if not connector.is_configured(config):
            return delivery.NotSent(DeliveryStatus.NOT_CONFIGURED.value)
        key, event, text = fields
        body = text.encode("utf-8")
        headers = connector.headers_for(row_id, key, event, body, config["ESUP_SECRET"])
        post(config["ESUP_URL"], body, headers, timeout=config.get("DELIVERY_TIMEOUT", 10))
        return DeliveryStatus.DELIVERED.value

    def failure_message(self, row_id: int, outcome: str, error: str | None) -> str:
        return f"{self.label} {row_id} ({outcome}): {error}"


CONNECTOR = Connector()


def deliver(delivery_id: int) -> str:
    return CONNECTOR.deliver(delivery_id)


def attempt(delivery_id: int, *, max_attempts: int) -> str:
    """One attempt. Returns "delivered", "skipped", "not_configured", RETRY or DEAD."""
    return CONNECTOR.attempt(delivery_id, max_attempts=max_attempts)


def requeue_stuck(older_than_seconds: int | None = None) -> int:
    """Queue again every delivery whose job was lost (see :meth:`Outbound.requeue_stuck`)."""
    return CONNECTOR.requeue_stuck(connector.enqueue, older_than_seconds)
