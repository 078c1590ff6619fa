"""The connector's delivery job: ``deliver(delivery_id)`` on the ``escalation`` queue.

Idempotent and safe to run twice at once (a conditional UPDATE claims the row; see
``hotline.core.delivery``; a copy that finds a fresh claim raises ``DeliveryBusy``).
It POSTs the frozen body with its signature and idempotency
key; a failure puts the row back to ``pending`` and raises so that rq retries with the
configured backoff; after the last attempt the row is ``dead`` (the dead-letter list).
In the embedded mode (no Redis) the attempts run inline, one after the other.
"""

from __future__ import annotations

import logging

from flask import current_app

from ..core import clock, delivery
from ..core.http import DeliveryError, post
from ..core.redis import get_redis
from ..extensions import db
from . import connector
from .models import DeliveryStatus, EsupDelivery

log = logging.getLogger(__name__)

RETRY, DEAD = "retry", "dead"


class DeliveryFailed(Exception):
    """An attempt failed; raised so that rq records it and retries."""


class DeliveryBusy(Exception):
    """Another copy of the job holds a fresh claim on the delivery: try again later."""


def deliver(delivery_id: int) -> str:
    max_attempts = len(current_app.config["ESUP_RETRY_INTERVALS"]) + 1
    outcome = attempt(delivery_id, max_attempts=max_attempts)
    if get_redis() is None:
        while outcome == RETRY:  # embedded mode: no rq to retry for us
            outcome = attempt(delivery_id, max_attempts=max_attempts)
    if outcome in (RETRY, DEAD):
        error = db.session.scalar(db.select(EsupDelivery.last_error).where(EsupDelivery.id == delivery_id))
        db.session.commit()
        raise DeliveryFailed(f"e-supervision delivery {delivery_id} ({outcome}): {error}")
    return outcome


def attempt(delivery_id: int, *, max_attempts: int) -> str:
    """One attempt. Returns "delivered", "skipped", "not_configured", RETRY or DEAD."""
    config = current_app.config
    now = clock.now()
    claimed = delivery.claim(
        EsupDelivery, delivery_id, now, EsupDelivery.idempotency_key, EsupDelivery.event, EsupDelivery.body
    )
    db.session.commit()  # the claim is visible before we call out; no transaction is held meanwhile
    if claimed is None:
        status = db.session.scalar(db.select(EsupDelivery.status).where(EsupDelivery.id == delivery_id))
        db.session.commit()
        if status == DeliveryStatus.SENDING:
            raise DeliveryBusy(f"e-supervision delivery {delivery_id} is being sent by another job")
        return "skipped"
    attempts, key, event, text = claimed
    if not connector.is_configured(config):
        delivery.finish(EsupDelivery, delivery_id, attempts, now, status=DeliveryStatus.NOT_CONFIGURED.value)
        db.session.commit()
        return DeliveryStatus.NOT_CONFIGURED.value
    body = text.encode("utf-8")
    headers = connector.headers_for(delivery_id, key, event, body, config["ESUP_SECRET"])
    try:
        post(config["ESUP_URL"], body, headers, timeout=config.get("DELIVERY_TIMEOUT", 10))
    except Exception as exc:
        if not isinstance(exc, DeliveryError):
            log.exception("e-supervision delivery %s: unexpected error", delivery_id)
        error = (f"{exc}" or type(exc).__name__)[:1000]
        final = attempts >= max_attempts
        delivery.finish(
            EsupDelivery,
            delivery_id,
            attempts,
            clock.now(),
            status=(DeliveryStatus.DEAD if final else DeliveryStatus.PENDING).value,
            last_error=error,
        )
        db.session.commit()
        log.warning("e-supervision delivery %s attempt %s/%s failed: %s", delivery_id, attempts, max_attempts, error)
        return DEAD if final else RETRY
    done = clock.now()
    delivery.finish(
        EsupDelivery,
        delivery_id,
        attempts,
        done,
        status=DeliveryStatus.DELIVERED.value,
        delivered_at=done,
        last_error=None,
    )
    db.session.commit()
    return DeliveryStatus.DELIVERED.value


def requeue_stuck(older_than_seconds: int | None = None) -> int:
    """Queue again every delivery left ``pending`` (its job lost) or ``sending`` under a
    stale claim (its worker died). Safe at any time, also periodically; by default "left"
    means untouched for longer than the longest retry interval plus the stale-claim time.
    """
    now = clock.now()
    ids = delivery.stuck(
        EsupDelivery,
        now,
        retry_intervals=current_app.config["ESUP_RETRY_INTERVALS"],
        older_than_seconds=older_than_seconds,
    )
    for delivery_id in ids:
        connector.enqueue(delivery_id, f"esup-delivery-{delivery_id}-requeue-{int(now.timestamp())}")
    if ids:
        log.warning("requeued %s stuck e-supervision deliveries: %s", len(ids), ids[:20])
    return len(ids)
