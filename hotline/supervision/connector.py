"""The connector to the external e-supervision system (电子监察系统).

Each case, each card and each later change to a case becomes one delivery: a JSON
document frozen when the event happened (the case, the card, the ticket and its event
timeline; citizens' phone numbers masked), POSTed to ``HOTLINE_ESUP_URL`` with

- ``X-Hotline-Signature: sha256=<hex>``: HMAC-SHA256 over the exact body bytes, keyed
  with ``HOTLINE_ESUP_SECRET``;
- ``Idempotency-Key``: the same on every retry and replay, so the receiver can
  de-duplicate (delivery is at least once);
- ``X-Hotline-Event`` and ``X-Hotline-Delivery`` (the event name and our delivery id).

Without ``HOTLINE_ESUP_URL`` deliveries are recorded with status ``not_configured`` and
nothing is sent. With it, ``hotline.supervision.jobs.deliver`` sends them from the
``escalation`` queue, retrying with backoff; after the last retry the delivery is
``dead`` and appears in the dead-letter list for admins to replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..audit.services import record as audit
from ..core import clock, jobs, txcache
from ..core.db import upsert_insert
from ..core.errors import Conflict
from ..core.phones import mask
from ..core.privacy import scrub
from ..extensions import db
from ..tickets.models import TicketEvent
from .models import Card, CaseOrder, DeliveryStatus, EsupDelivery, RectificationNotice

SCHEMA = "hotline.e-supervision/1"
DELIVER_JOB = "hotline.supervision.jobs.deliver"
SIGNATURE_HEADER = "X-Hotline-Signature"


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``; receivers compare with hmac.compare_digest."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    return bool(signature) and hmac.compare_digest(sign(body, secret), signature)


def encode(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def headers_for(delivery_id: int, key: str, event: str, body: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": key,
        "X-Hotline-Event": event,
        "X-Hotline-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(body, secret),
    }


def is_configured(config=None) -> bool:
    config = config if config is not None else current_app.config
    return bool(config.get("ESUP_URL"))


def record(
    event: str,
    case,
    *,
    key: str,
    now: datetime,
    card: Card | None = None,
    detail: dict | None = None,
    new_case: bool = False,
):
    """Freeze the document for ``event`` and queue its delivery (once per ``key``).
    ``new_case``: the case was opened in this very statement, so it has no cards, orders
    or notices yet (not queried).

    Returns the new delivery's id, or None when ``key`` was already recorded.
    """
    payload = {
        "schema": SCHEMA,
        "event": event,
        "idempotency_key": key,
        "occurred_at": clock.isoformat(now),
        "detail": detail or {},
        "case": case_document(case, new=new_case),
        "card": card_document(card) if card is not None else None,
        "ticket": ticket_document(case.ticket),
    }
    phone = case.ticket.caller.phone
    body = encode(scrub(payload, phone))
    configured = is_configured()
    stmt = (
        upsert_insert(EsupDelivery)
        .values(
            idempotency_key=key,
            event=event,
            case_id=case.id,
            card_id=card.id if card is not None else None,
            body=body,
            status=(DeliveryStatus.PENDING if configured else DeliveryStatus.NOT_CONFIGURED).value,
            attempts=0,
            replays=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(EsupDelivery.id)
    )
    delivery_id = db.session.execute(stmt).scalar()
    if delivery_id is not None and configured:
        enqueue(delivery_id, f"esup-delivery-{delivery_id}")
    return delivery_id


def enqueue(delivery_id: int, job_id: str) -> None:
    config = current_app.config
    jobs.enqueue(
        DELIVER_JOB,
        delivery_id,
        queue="escalation",
        job_id=job_id,
        timeout=int(config.get("DELIVERY_TIMEOUT", 10)) + 30,
        retry_intervals=tuple(config["ESUP_RETRY_INTERVALS"]),
        description=f"e-supervision delivery {delivery_id}",
    )


REPLAYABLE = (DeliveryStatus.DEAD.value, DeliveryStatus.NOT_CONFIGURED.value)


def replay(delivery: EsupDelivery, *, actor, now: datetime) -> EsupDelivery:
    """Send a dead (or never sent) delivery again, with the same body and idempotency key."""
    if delivery.status not in REPLAYABLE:
        raise Conflict(
            f"Only dead or unsent deliveries are replayed; this one is {delivery.status}.",
            message_zh="只能重放失败或未发送的推送。",
            code="not_replayable",
        )
    if not is_configured():
        raise Conflict(
            "HOTLINE_ESUP_URL is not set: there is nowhere to send it.",
            message_zh="未配置电子监察系统地址，无法推送。",
            code="esup_not_configured",
        )
    previous = delivery.status
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempts = 0
    delivery.replays += 1
    delivery.updated_at = now
    db.session.flush()
    audit(
        actor=actor,
        action="esup_delivery.replay",
        object_type="esup_delivery",
        object_id=delivery.id,
        now=now,
        data={"event": delivery.event, "key": delivery.idempotency_key, "was": previous, "error": delivery.last_error},
    )
    enqueue(delivery.id, f"esup-delivery-{delivery.id}-replay-{delivery.replays}")
    return delivery


# --- the documents --------------------------------------------------------------------


def _iso(value):
    return clock.isoformat(value)


def _unit(unit):
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def card_document(card: Card) -> dict:
    return {
        "id": card.id,
        "color": card.color,
        "unit": _unit(card.unit),
        "deadline_id": card.deadline_id,
        "deadline_kind": card.deadline_kind,
        "due_at": _iso(card.due_at),
        "recorded_at": _iso(card.recorded_at),
        "voided_at": _iso(card.voided_at),
        "void_reason": card.void_reason,
    }


def case_document(case, *, new: bool = False) -> dict:
    """``new``: a case opened in this transaction, known to have no cards, orders or notices."""
    cards = orders = notices = ()
    if not new:
        cards = db.session.scalars(select(Card).where(Card.case_id == case.id).order_by(Card.id))
        orders = db.session.scalars(select(CaseOrder).where(CaseOrder.case_id == case.id).order_by(CaseOrder.id))
        notices = db.session.scalars(
            select(RectificationNotice).where(RectificationNotice.case_id == case.id).order_by(RectificationNotice.id)
        )
    return {
        "id": case.id,
        "status": case.status,
        "origin": case.origin,
        "unit": _unit(case.unit),
        "reason": case.reason,
        "opened_at": _iso(case.opened_at),
        "closed_at": _iso(case.closed_at),
        "closing_note": case.closing_note,
        "merged_into_case_id": case.merged_into_id,
        "cards": [card_document(c) for c in cards],
        "orders": [
            {"id": o.id, "kind": o.kind, "unit": _unit(o.unit), "note": o.note, "issued_at": _iso(o.issued_at)}
            for o in orders
        ],
        "notices": [
            {
                "id": n.id,
                "unit": _unit(n.unit),
                "content": n.content,
                "due_at": _iso(n.due_at),
                "status": n.status,
                "issued_at": _iso(n.issued_at),
                "response": n.response,
                "responded_at": _iso(n.responded_at),
            }
            for n in notices
        ],
    }


def ticket_document(ticket) -> dict:
    """The ticket and its whole event timeline; the caller's number masked."""
    events = txcache.peek(db.session(), ("ticket_events", ticket.id))  # a ticket recorded in this transaction
    if events is None:
        events = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    return {
        "number": ticket.number,
        "request_type": ticket.request_type,
        "category": {"code": ticket.category.code, "name": ticket.category.name},
        "status": ticket.status,
        "urgency": ticket.urgency,
        "channel": ticket.channel,
        "content": ticket.content,
        "address": ticket.address,
        "caller_phone": mask(ticket.caller.phone),
        "lead_unit": _unit(ticket.lead_unit),
        "assist_units": [_unit(u) for u in ticket.assist_units],
        "created_at": _iso(ticket.created_at),
        "dispatched_at": _iso(ticket.dispatched_at),
        "reply_due_at": _iso(ticket.reply_due_at),
        "closed_at": _iso(ticket.closed_at),
        "events": [
            {
                "id": e.id,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "at": _iso(e.at),
                "actor_role": e.actor_role,
                "actor_unit": e.actor_unit.code if e.actor_unit else None,
                "note": e.note,
                "data": e.data or {},
            }
            for e in events
        ],
    }
