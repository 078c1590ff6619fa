"""网上留言: a citizen's request through the public web form.

The phone is confirmed with a one-time code sent by SMS (through the outbox, like every
message); the ticket is recorded with channel ``web`` under the channel's account and waits
in the operators' triage queue (网上来件待处理) to be read before it is submitted for
dispatch; the citizen gets the ticket number on the page and by SMS (办件确认).

Against automated abuse, without any third-party service:
- a signed, time-stamped form token: a form sent faster than ``WEB_FORM_MIN_SECONDS`` after
  the page was served, or older than ``FORM_MAX_AGE``, or not signed by us, is refused;
- a honeypot field (``website``) hidden from people: a form with it filled is refused;
- codes sent and forms submitted are limited per client address and per phone;
- the code: 6 digits, stored as an HMAC, valid ``CODE_TTL``, ``MAX_CODE_ATTEMPTS`` wrong
  tries, one submission.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from ..accounts.channel_accounts import channel_account
from ..attachments import services as attachments
from ..attachments.models import Source
from ..categories.models import Category
from ..core.errors import Conflict, InvalidInput
from ..core.ratelimit import Limit, check
from ..extensions import db
from ..notifications.models import RecipientType
from ..notifications.services import Recipient, citizen_recipient, notify, ticket_context
from ..tickets import services as tickets
from .models import PhoneVerification
from .schemas import WebRequestIn

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
FORM_MAX_AGE = timedelta(hours=3)
MAX_PHOTOS = 3

CODE_LIMITS_ADDRESS = (Limit("webform-code-address-hour", 10, 3600),)
CODE_LIMITS_PHONE = (Limit("webform-code-phone-10min", 3, 600), Limit("webform-code-phone-day", 10, 86400))
SUBMIT_LIMITS_ADDRESS = (Limit("webform-submit-address-hour", 20, 3600),)
SUBMIT_LIMITS_PHONE = (Limit("webform-submit-phone-day", 10, 86400),)

TOO_MANY_CODES_ZH = "获取验证码过于频繁，请稍后再试。"
TOO_MANY_SUBMITS_ZH = "提交过于频繁，请稍后再试。"


def _refuse(field: str, message_zh: str, code: str, message: str | None = None) -> InvalidInput:
    return InvalidInput(message or message_zh, message_zh=message_zh, code=code, field=field)


# --- the form token and the honeypot ---------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hotline.web-form")


def form_token(now: datetime) -> str:
    """A signed token of when the form was served."""
    return _serializer().dumps({"t": int(now.timestamp()), "n": secrets.token_hex(4)})


def keep_or_renew(token: str, *, now: datetime) -> str:
    """The token a form that comes back carries: the one it was first served with while that
    is ours and not too old (the fill time counts from the first page), else a new one."""
    try:
        served = int(_serializer().loads(token or "")["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return form_token(now)
    return token if now.timestamp() - served <= FORM_MAX_AGE.total_seconds() else form_token(now)


def min_seconds() -> float:
    return float(current_app.config.get("WEB_FORM_MIN_SECONDS", 3))


def check_form(token: str, honeypot: str, *, now: datetime) -> None:
    """Refuse a form that was not served by us, was filled in too fast or too long ago, or
    whose honeypot is filled."""
    if honeypot:
        raise _refuse("form_token", "提交未通过校验，请刷新页面后重新填写。", "honeypot")
    try:
        served = int(_serializer().loads(token or "")["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise _refuse("form_token", "表单已失效，请刷新页面后重新提交。", "bad_form_token") from None
    age = now.timestamp() - served
    if age < min_seconds():
        raise _refuse("form_token", "提交过快，请确认填写内容后再提交。", "too_fast")
    if age > FORM_MAX_AGE.total_seconds():
        raise _refuse("form_token", "页面已打开太久，请刷新页面后重新提交。", "form_expired")


# --- the one-time code -----------------------------------------------------------------


def _hmac(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def send_code(phone: str, *, address: str, now: datetime) -> str:
    """Count the request (429 past a limit), record a new code and send it by SMS after the
    commit; returns the verification's token for the form."""
    check(
        [(limit, address) for limit in CODE_LIMITS_ADDRESS]
        + [(limit, _hmac("phone", phone)) for limit in CODE_LIMITS_PHONE],
        now=now,
        message_zh=TOO_MANY_CODES_ZH,
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = secrets.token_urlsafe(32)
    verification = PhoneVerification(
        token=token,
        phone_hash=_hmac("phone", phone),
        code_hash=_hmac(f"code:{token}", code),
        attempts=0,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    db.session.add(verification)
    db.session.flush()
    notify(
        "citizen_verification_code",
        Recipient(RecipientType.CITIZEN.value, None, "网上留言人", phone, None),
        key=f"phone-verification:{verification.id}",
        context={"code": code, "minutes": str(int(CODE_TTL.total_seconds() // 60))},
        now=now,
    )
    return token


def _verification(token: str, phone: str, *, now: datetime) -> PhoneVerification:
    found = db.session.scalar(select(PhoneVerification).where(PhoneVerification.token == (token or "")[:43]))
    if found is None or not hmac.compare_digest(found.phone_hash, _hmac("phone", phone)):
        raise _refuse("sms_code", "请先获取短信验证码（验证码与所填手机号码对应）。", "no_code")
    if found.used_at is not None:
        raise _refuse("sms_code", "该验证码已使用，请重新获取。", "code_used")
    if found.attempts >= MAX_CODE_ATTEMPTS:
        raise _refuse("sms_code", "验证码错误次数过多，请重新获取。", "code_attempts")
    if now > found.expires_at:
        raise _refuse("sms_code", "验证码已过期，请重新获取。", "code_expired")
    return found


def check_code(token: str, phone: str, code: str, *, now: datetime) -> PhoneVerification:
    """The verification the code confirms. A wrong code counts one attempt, committed
    before it is refused (the count survives the refusal's rollback)."""
    verification = _verification(token, phone, now=now)
    if not hmac.compare_digest(verification.code_hash, _hmac(f"code:{verification.token}", (code or "").strip())):
        db.session.execute(
            update(PhoneVerification)
            .where(PhoneVerification.id == verification.id)
            .values(attempts=PhoneVerification.attempts + 1)
        )
        db.session.commit()
        left = MAX_CODE_ATTEMPTS - verification.attempts
        if left <= 0:
            raise _refuse("sms_code", "验证码错误次数过多，请重新获取。", "code_attempts")
        raise _refuse("sms_code", f"验证码不正确，还可尝试 {left} 次。", "wrong_code")
    return verification


# --- the submission ----------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    stream: object
    filename: str | None


def default_category() -> str:
    """The category of a request whose writer chose none: ``WEB_FORM_CATEGORY`` if set, else the
    first active leaf category named 其他…, else the first active leaf category."""
    configured = current_app.config.get("WEB_FORM_CATEGORY")
    if configured:
        return configured
    child = aliased(Category)
    has_children = select(child.id).where(child.parent_id == Category.id).exists()
    active = select(Category.code).where(Category.is_active.is_(True), ~has_children).order_by(Category.code)
    return db.session.scalar(active.where(Category.name.startswith("其他"))) or db.session.scalar(active) or ""


def submit(data: WebRequestIn, photos: list[Photo], *, address: str, now: datetime):
    """Record the citizen's request (the caller commits). Checks, in order: the limits
    (committed), the code, then the ticket and its photos in one transaction: a refused photo
    leaves nothing behind but its counted attempt."""
    check(
        [(limit, address) for limit in SUBMIT_LIMITS_ADDRESS]
        + [(limit, _hmac("phone", data.mobile)) for limit in SUBMIT_LIMITS_PHONE],
        now=now,
        message_zh=TOO_MANY_SUBMITS_ZH,
    )
    if len(photos) > MAX_PHOTOS:
        raise _refuse("photos", f"最多上传 {MAX_PHOTOS} 张照片。", "too_many_files")
    verification = check_code(data.verification, data.mobile, data.sms_code, now=now)
    actor = channel_account("web", now=now)
    ticket, _events = tickets.create(
        actor=actor,
        data=tickets.NewTicket(
            caller_phone=data.mobile,
            caller_name=data.citizen_name,
            request_type=data.request_type,
            category=data.category or default_category(),
            area=data.area,
            address=data.address,
            content=data.content,
            channel="web",
        ),
        now=now,
    )
    for photo in photos:
        try:
            attachments.attach_upload(
                ticket,
                photo.stream,
                photo.filename,
                actor=actor,
                now=now,
                source=Source.WEB_FORM.value,
                check_permission=False,
            )
        except InvalidInput as exc:
            name = attachments.clean_filename(photo.filename)
            raise _refuse("photos", f"{name}：{exc.message_zh}", exc.code, exc.message) from None
    used = db.session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.id == verification.id, PhoneVerification.used_at.is_(None))
        .values(used_at=now, ticket_id=ticket.id)
    )
    if used.rowcount != 1:
        raise Conflict("This code was used meanwhile.", message_zh="该验证码已使用，请重新获取。", code="code_used")
    notify(
        "citizen_confirmation",
        citizen_recipient(ticket),
        key=f"ticket:{ticket.id}:citizen_confirmation",  # the same key as at submission: sent once
        ticket=ticket,
        context=ticket_context(ticket),
        now=now,
    )
    return ticket


def prune(*, now: datetime) -> int:
    """Delete verifications that expired a day ago (the hourly pruning job)."""
    from sqlalchemy import delete

    result = db.session.execute(delete(PhoneVerification).where(PhoneVerification.expires_at < now - timedelta(days=1)))
    return result.rowcount or 0
