"""`/progress`: the public page of 办理进度查询 (the address the confirmation SMS gives)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, render_template, request

from ..core import clock
from ..core.clients import client_address
from ..core.errors import InvalidInput, TooManyRequests
from ..core.validation import validate
from ..core.wiring import public
from . import progress, services
from .schemas import ProgressIn

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
