"""Recording messages in the outbox, editing templates, retrying, and units' contacts.

:func:`notify` is how every other part sends a message: it renders the template, picks
the channel, and inserts one outbox row per idempotency key (a second call with the same
key changes nothing). The delivery job is enqueued after the commit, by id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..accounts.models import Role, User
from ..audit.services import record as audit
from ..core import clock, jobs, kept, txcache
from ..core.db import upsert_insert
from ..core.errors import Conflict, InvalidInput
from ..core.privacy import mask_address, scrub
from ..extensions import db
from . import channels, templates
from .models import ChannelName, Notification, NotificationTemplate, RecipientType, Status

DELIVER_JOB = "hotline.notifications.jobs.deliver"
KEPT = "notification_template"  # the templates kept in the process, by code
# Messages to these recipients have personal numbers in their placeholders masked.
_MASKED_RECIPIENTS = frozenset({RecipientType.UNIT.value, RecipientType.UNIT_HEAD.value})
DEADLINE_LABELS = {"accept": "签收", "reply": "答复", "rectification": "整改"}


@dataclass(frozen=True)
class Recipient:
    type: str
    id: int | None
    label: str
    phone: str | None = None
    email: str | None = None


def unit_recipient(unit) -> Recipient:
    return Recipient(RecipientType.UNIT.value, unit.id, unit.code, unit.notify_phone, unit.notify_email)


def head_recipient(unit) -> Recipient:
    """The unit's head; without a phone on record the message is only recorded."""
    label = f"{unit.code} 负责人{(' ' + unit.head_name) if unit.head_name else ''}"
    return Recipient(RecipientType.UNIT_HEAD.value, unit.id, label[:100], unit.head_phone, None)


def supervisor_recipients() -> list[Recipient]:
    users = db.session.scalars(
        select(User).where(User.role == Role.SUPERVISOR.value, User.is_active.is_(True)).order_by(User.id)
    )
    return [Recipient(RecipientType.USER.value, u.id, u.username, u.phone, u.email) for u in users]


def citizen_recipient(ticket) -> Recipient:
    return Recipient(RecipientType.CITIZEN.value, ticket.caller_id, "来电人", ticket.caller.phone, None)


def ticket_context(ticket, *, unit=None, due_at=None, deadline=None, note=None) -> dict[str, str]:
    """The placeholders' values for a message about ``ticket``."""
    from ..tickets.models import REQUEST_TYPE_LABELS, RequestType

    local_due = clock.local(due_at)
    return {
        "ticket_number": ticket.number,
        "request_type": REQUEST_TYPE_LABELS[RequestType(ticket.request_type)],
        "category": ticket.category.name if ticket.category else "",
        "unit_name": unit.name if unit is not None else "",
        "head_name": (unit.head_name or "") if unit is not None else "",
        "due_at": local_due.strftime("%Y-%m-%d %H:%M") if local_due else "",
        "deadline": DEADLINE_LABELS.get(deadline or "", deadline or ""),
        "note": note or "",
    }


def article_context(article, *, unit, review_by) -> dict[str, str]:
    """The placeholders' values for a message to ``unit`` about a knowledge-base article."""
    return {
        "unit_name": unit.name,
        "article_id": str(article.id),
        "article_title": article.title,
        "review_by": review_by.isoformat(),
    }


# --- templates ------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveTemplate:
    spec: templates.TemplateSpec
    channel: str
    subject: str
    body: str
    row: NotificationTemplate | None

    @property
    def is_default(self) -> bool:
        return self.row is None

    @property
    def says_default(self) -> bool:
        """Sends what the built-in template sends (no row, or a row that repeats it, as the
        demo seed stores every template)."""
        spec = self.spec
        return self.is_default or (
            (self.channel, self.subject or "", self.body) == (spec.channel, spec.subject or "", spec.body)
        )


def get_template(code: str, *, fresh: bool = False) -> EffectiveTemplate:
    """The template in force; read once per transaction (a dispatch to three units reads it
    once), unless ``fresh``."""
    if fresh:
        return _read_template(code)
    return txcache.get(db.session(), ("notification_template", code), lambda: _read_template(code))


def sending_template(code: str) -> EffectiveTemplate:
    """The template a message is written from: kept in the process for
    ``HOTLINE_SETTINGS_CACHE_SECONDS`` (``hotline.core.kept``), without its row (``row`` is
    None: what is kept outlives the session)."""
    return kept.get((KEPT, code), lambda: dataclasses.replace(get_template(code), row=None))


def _read_template(code: str) -> EffectiveTemplate:
    spec = templates.DEFAULTS[code]
    row = db.session.scalar(select(NotificationTemplate).where(NotificationTemplate.code == code))
    if row is None:
        return EffectiveTemplate(spec, spec.channel, spec.subject, spec.body, None)
    return EffectiveTemplate(spec, row.channel, row.subject or "", row.body, row)


def list_templates() -> list[EffectiveTemplate]:
    return [get_template(code) for code in templates.DEFAULTS]


def update_template(code: str, *, actor, now: datetime, changes: dict) -> EffectiveTemplate:
    """Change a template's channel, subject or body (admins). Unknown placeholders are refused."""
    current = get_template(code, fresh=True)
    channel = changes.get("channel", current.channel)
    subject = changes.get("subject", current.subject)
    body = changes.get("body", current.body)
    try:
        templates.check(code, channel=channel, subject=subject, body=body)
    except templates.TemplateError as exc:
        raise InvalidInput(exc.message, message_zh=exc.message_zh, field=exc.field, code="invalid_template") from None
    before = {"channel": current.channel, "subject": current.subject, "body": current.body}
    row = current.row
    if row is None:
        row = NotificationTemplate(code=code, created_at=now)
        db.session.add(row)
    row.channel, row.subject, row.body = channel, subject, body
    row.updated_at, row.updated_by_id = now, getattr(actor, "id", None)
    db.session.flush()
    txcache.forget(db.session(), ("notification_template", code))
    kept.forget_after_commit(KEPT)
    audit(
        actor=actor,
        action="notification_template.update",
        object_type="notification_template",
        object_id=code,
        now=now,
        data={"before": before, "after": {"channel": channel, "subject": subject, "body": body}},
    )
    return get_template(code, fresh=True)


def ensure_default_templates(now: datetime) -> int:
    """Store every built-in template that has no row yet (the demo seed); returns how many."""
    existing = set(db.session.scalars(select(NotificationTemplate.code)))
    added = 0
    for spec in templates.DEFAULTS.values():
        if spec.code not in existing:
            db.session.add(
                NotificationTemplate(
                    code=spec.code,
                    channel=spec.channel,
                    subject=spec.subject,
                    body=spec.body,
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
    db.session.flush()
    return added


# --- the outbox -----------------------------------------------------------------------


def address_for(template: EffectiveTemplate, recipient: Recipient) -> str | None:
    """Where the template's channel reaches ``recipient``: its mobile for SMS, else its e-mail."""
    return recipient.phone if template.channel == ChannelName.SMS else recipient.email


def notify(code: str, recipient: Recipient, *, key: str, ticket=None, context: dict, now: datetime):
    """Record one message (once per ``key``) and deliver it after the commit.

    Returns the new Notification's id, or None when ``key`` was already used.
    """
    return notify_many([(code, recipient, key, context)], ticket=ticket, now=now)[0]


def notify_many(messages, *, ticket=None, now: datetime) -> list[int | None]:
    """Record several messages about ``ticket`` in one INSERT, each once per key:
    ``messages`` is a list of (template code, recipient, key, context). Returns each new
    Notification's id, None where its key was already used."""
    rows = [
        _outbox_row(code, recipient, key=key, ticket=ticket, context=context, now=now)
        for code, recipient, key, context in messages
    ]
    # The rows go as the statement's parameters, SQLAlchemy sending one INSERT with a row of
    # VALUES each (render_nulls: every row has the same columns, so none is split off): a
    # statement holding its rows in .values() cannot be cached, and was compiled anew for
    # every message.
    stmt = (
        upsert_insert(Notification)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Notification.id, Notification.idempotency_key)
    )
    new = {k: i for i, k in db.session.execute(stmt, rows, execution_options={"render_nulls": True}).all()}
    ids = [new.get(row["idempotency_key"]) for row in rows]
    sent = [i for i in ids if i is not None]
    if len(sent) == 1:
        enqueue(sent[0], f"notification-{sent[0]}")
    elif sent:  # one job delivers them all, each message still on its own (Outbound.deliver)
        enqueue_many(sent, f"notifications-{sent[0]}-{sent[-1]}")
    return ids


def _outbox_row(code: str, recipient: Recipient, *, key: str, ticket, context: dict, now: datetime) -> dict:
    template = sending_template(code)
    if recipient.type in _MASKED_RECIPIENTS:
        # A unit never reads a citizen's number, here neither (a note may hold one).
        context = scrub(context)
    address = address_for(template, recipient)
    config = current_app.config
    channel = template.channel
    if not address or not channels.is_configured(config, channel):
        channel = ChannelName.OUTBOX.value
    return {
        "idempotency_key": key[:200],
        "template_code": code,
        "channel": channel,
        "recipient_type": recipient.type,
        "recipient_id": recipient.id,
        "recipient_label": recipient.label[:100],
        "address": address,
        "ticket_id": getattr(ticket, "id", None),
        "subject": templates.render(template.subject, context)[:200] if template.channel == "email" else None,
        "body": templates.render(template.body, context),
        "status": Status.PENDING.value,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(notification_id: int, job_id: str) -> None:
    """Deliver the message after the commit (a job on the notifications queue, by id)."""
    enqueue_many([notification_id], job_id)


def enqueue_many(notification_ids: list[int], job_id: str) -> None:
    """Deliver the messages after the commit, in one job on the notifications queue."""
    config = current_app.config
    jobs.enqueue(
        DELIVER_JOB,
        *notification_ids,
        queue="notifications",
        job_id=job_id,
        timeout=(2 * int(config.get("DELIVERY_TIMEOUT", 10)) + 30) * len(notification_ids),
        retry_intervals=tuple(config["NOTIFY_RETRY_INTERVALS"]),
        description=f"deliver notification {', '.join(map(str, notification_ids))}",
    )


def retry(notification: Notification, *, actor, now: datetime) -> Notification:
    """Send a failed message again (admins), with a fresh set of attempts."""
    if notification.status != Status.FAILED:
        raise Conflict(
            f"Only a failed notification can be retried; this one is {notification.status}.",
            message_zh="只有发送失败的消息可以重发。",
            code="not_failed",
        )
    notification.status = Status.PENDING.value
    notification.attempts = 0
    notification.updated_at = now
    db.session.flush()
    audit(
        actor=actor,
        action="notification.retry",
        object_type="notification",
        object_id=notification.id,
        now=now,
        data={"template": notification.template_code, "last_error": notification.last_error},
    )
    enqueue(notification.id, f"notification-{notification.id}-retry-{int(now.timestamp())}")
    return notification


# --- units' contacts ------------------------------------------------------------------

CONTACT_FIELDS = ("notify_phone", "notify_email", "head_name", "head_phone")


def set_unit_contacts(unit, *, actor, now: datetime, changes: dict):
    """Where a unit's messages go and who its head is (admins). Audited; numbers masked in the log."""
    before = {f: getattr(unit, f) for f in CONTACT_FIELDS if f in changes}
    for field in CONTACT_FIELDS:
        if field in changes:
            setattr(unit, field, changes[field])
    unit.updated_at = now
    db.session.flush()

    def masked(values):
        return {k: mask_address(v) if k != "head_name" else v for k, v in values.items()}

    audit(
        actor=actor,
        action="unit.contacts",
        object_type="unit",
        object_id=unit.code,
        now=now,
        data={"before": masked(before), "after": masked(changes)},
    )
    return unit
