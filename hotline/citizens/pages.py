"""`/progress`: the public page of 办理进度查询 (the address the confirmation SMS gives)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, render_template, request

from ..categories import queries as category_queries
from ..core import clock
from ..core.bodies import accepts_uploads
from ..core.clients import client_address
from ..core.errors import DomainError, InvalidInput, TooManyRequests
from ..core.validation import validate
from ..core.vocabulary import REQUEST_TYPE_LABELS
from ..core.wiring import public
from ..extensions import db
from ..units import queries as unit_queries
from ..units.models import Level
from . import progress, services, webform
from .schemas import CodeRequestIn, ProgressIn, WebRequestIn

bp = Blueprint("web_citizens", __name__)

FIELD_LABELS = {"number": "工单编号", "phone_last4": "来电号码后四位"}


@bp.route("/progress", methods=["GET", "POST"])
@public
def progress_page():
    form = {"number": request.values.get("number", ""), "phone_last4": ""}
    if request.method == "GET":
        return render_template("citizens/progress.html", form=form, result=None, error=None)
    try:
        data = validate(ProgressIn, {k: request.form.get(k, "") for k in ("number", "phone_last4")})
    except InvalidInput as exc:
        label = FIELD_LABELS.get(exc.field or "", "")
        error = f"{label}：格式不正确" if label else "请填写工单编号和来电号码后四位。"
        return render_template("citizens/progress.html", form=form, result=None, error=error), 400
    try:
        services.count_lookup(data.number, client_address(), now=clock.now())
    except TooManyRequests as exc:
        page = render_template("citizens/progress.html", form=form, result=None, error=exc.message_zh)
        return page, 429, exc.headers
    ticket = progress.find(data.number, data.phone_last4)
    if ticket is None:
        page = render_template("citizens/progress.html", form=form, result=None, error=services.NOT_FOUND_ZH)
        return page, 404
    return render_template("citizens/progress.html", form=form, result=asdict(progress.document(ticket)), error=None)


# --- 网上留言: the public web form ----------------------------------------------------------

TEXT_FIELDS = ("request_type", "category", "area", "address", "content", "citizen_name", "mobile", "verification")
OPTIONAL_FIELDS = ("category", "address")
# What each field asks for, said to the citizen when what they typed is refused.
FIELD_HINTS = {
    "request_type": "请选择诉求类型。",
    "category": "请从列表中选择分类，或留空。",
    "area": "请选择问题所在的区域。",
    "address": "地址不能超过 200 个字。",
    "content": "请填写诉求内容（不超过 5000 个字）。",
    "citizen_name": "请填写姓名（不超过 50 个字）。",
    "mobile": "请填写正确的 11 位手机号码（用于接收验证码和工单编号）。",
    "sms_code": "请填写短信中的 6 位数字验证码。",
    "verification": "请先获取短信验证码。",
}


def _form_choices() -> dict:
    categories = [c for c in category_queries.list_categories() if c.is_active]
    parents = {c.parent_id for c in categories if c.parent_id}
    groups: dict[str, list] = {}
    for c in categories:
        if c.id not in parents:
            groups.setdefault(c.parent.name if c.parent else "其他", []).append(c)
    areas = [u for u in unit_queries.list_units() if u.level in (Level.DISTRICT, Level.TOWN) and u.is_active]
    return {"request_types": REQUEST_TYPE_LABELS, "category_groups": groups, "areas": areas}


def _typed() -> dict:
    return {k: request.form.get(k, "") for k in TEXT_FIELDS}


def _message_page(*, values=None, errors=None, notice=None, photos_dropped=False, status=200, headers=None):
    page = render_template(
        "citizens/message.html",
        values=values or {},
        errors=errors or {},
        notice=notice,
        photos_dropped=photos_dropped,
        form_token=webform.keep_or_renew(request.form.get("form_token", ""), now=clock.now()),
        max_photo_mb=webform.attachments.max_bytes() // (1024 * 1024),
        max_photos=webform.MAX_PHOTOS,
        **_form_choices(),
    )
    return page, status, headers or {}


def _errors_of(exc: DomainError) -> dict[str, str]:
    """Each refused field's Chinese message (the form's own words for a malformed value)."""
    if exc.details:
        found = {}
        for d in exc.details:
            field = (d.get("field") or "").split(".")[0]
            if field and field not in found:
                found[field] = FIELD_HINTS.get(field, d.get("message_zh") or "")
        return found
    return {exc.field or "form_token": exc.message_zh}


def _chosen_photos() -> list:
    return [f for f in request.files.getlist("photos") if f and (f.filename or f.content_length)]


@bp.get("/message")
@public
def message_page():
    """网上留言: the form."""
    return _message_page(values={"request_type": "complaint"})


@bp.post("/message/code")
@public
@accepts_uploads
def message_code():
    """Send the one-time code to the phone typed (the form comes back as typed, photos apart)."""
    values = _typed()
    dropped = bool(_chosen_photos())
    now = clock.now()
    try:
        webform.check_form(request.form.get("form_token", ""), request.form.get("website", ""), now=now)
        data = validate(CodeRequestIn, {"mobile": values["mobile"]})
        values["verification"] = webform.send_code(data.mobile, address=client_address(), now=now)
        db.session.commit()
    except TooManyRequests as exc:
        db.session.rollback()
        return _message_page(
            values=values, errors={"mobile": exc.message_zh}, photos_dropped=dropped, status=429, headers=exc.headers
        )
    except DomainError as exc:
        db.session.rollback()
        return _message_page(values=values, errors=_errors_of(exc), photos_dropped=dropped, status=exc.status)
    minutes = int(webform.CODE_TTL.total_seconds() // 60)
    notice = f"验证码已发送至手机 {data.mobile[:3]}****{data.mobile[-4:]}，{minutes} 分钟内有效。"
    return _message_page(values=values, notice=notice, photos_dropped=dropped)


@bp.post("/message")
@public
@accepts_uploads
def message_submit():
    """Record the request: the ticket number on the page and by SMS."""
    values = _typed()
    photos = _chosen_photos()
    now = clock.now()
    try:
        webform.check_form(request.form.get("form_token", ""), request.form.get("website", ""), now=now)
        fields = {k: v for k, v in values.items() if not (k in OPTIONAL_FIELDS and not v.strip())}
        data = validate(WebRequestIn, {**fields, "sms_code": request.form.get("sms_code", "")})
        ticket = webform.submit(
            data, [webform.Photo(p.stream, p.filename) for p in photos], address=client_address(), now=now
        )
        db.session.commit()
    except TooManyRequests as exc:
        db.session.rollback()
        return _message_page(
            values=values,
            errors={"form_token": exc.message_zh},
            photos_dropped=bool(photos),
            status=429,
            headers=exc.headers,
        )
    except DomainError as exc:
        db.session.rollback()
        return _message_page(values=values, errors=_errors_of(exc), photos_dropped=bool(photos), status=exc.status)
    return render_template("citizens/message_done.html", number=ticket.number, photos=len(photos))
