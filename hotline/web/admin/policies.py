"""Deadline policies (时限规则): one per request type and urgency, versioned as the sla domain keeps them."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...core import clock
from ...core.errors import DomainError, InvalidInput
from ...core.validation import validate
from ...core.vocabulary import REQUEST_TYPE_LABELS, URGENCY_LABELS
from ...extensions import db
from ...sla import policies, schemas
from ...sla.models import ANY, SlaPolicy
from . import admin_required, bp, changed, form_values, refused, render

LABELS = {
    "name": "规则名称",
    "request_type": "诉求类型",
    "urgency": "紧急程度",
    "accept_hours": "签收时限（小时）",
    "reply_hours": "答复时限（小时）",
    "warn_ratio": "预警点",
    "red_ratio": "红牌点",
    "clock_mode": "计时方式",
    "working_hours": "工作时段",
    "is_active": "状态",
}
FIELDS = tuple(LABELS)
NUMBERS = ("accept_hours", "reply_hours", "warn_ratio", "red_ratio")
# The ratios are typed as percentages of the allowance: (above, below, why not).
PERCENTAGES = {
    "warn_ratio": (0, 100, "应为 1–99 之间的百分比"),
    "red_ratio": (100, 1000.0001, "应为大于 100、不超过 1000 的百分比"),
}
CLOCK_LABELS = {"natural": "自然时间（全天计时）", "working": "工作时间（节假日不计）"}


def choices() -> dict:
    return {
        "request_types": {ANY: "全部类型"} | {k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
        "urgencies": {ANY: "全部"} | {k.value: v for k, v in URGENCY_LABELS.items()},
        "clock_modes": CLOCK_LABELS,
    }


def _policy(policy_id: str):
    policy = db.session.get(SlaPolicy, int(policy_id)) if policy_id.isdigit() and len(policy_id) < 10 else None
    if policy is None:
        abort(404)
    return policy


def _values(form) -> dict:
    """The form as the schema takes it; the ratios are typed as percentages (80 → 0.8)."""
    data = form_values(form, FIELDS, floats=NUMBERS, bools=("is_active",), nullable=schemas.POLICY_NULLABLE)
    for ratio, (low, high, message) in PERCENTAGES.items():
        value = data.get(ratio)
        if isinstance(value, float):
            if not low < value < high:
                raise InvalidInput(f"{ratio}: out of range.", message_zh=message, field=ratio)
            data[ratio] = round(value / 100, 4)
    return data


@bp.get("/policies", endpoint="policies")
@admin_required
def policies_list():
    rows = db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.request_type, SlaPolicy.urgency, SlaPolicy.id))
    return render("admin/policies.html", rows=list(rows), builtin=policies.BUILTIN, **choices())


def _form(policy=None, *, errors=None, values=None, status=200):
    return render(
        "admin/policy_form.html",
        status=status,
        policy=policy,
        errors=errors or {},
        values=values or {},
        **choices(),
    )


@bp.get("/policies/new")
@admin_required
def new_policy():
    return _form()


@bp.post("/policies/new")
@admin_required
def create_policy():
    try:
        data = {k: v for k, v in _values(request.form).items() if (v is not None and v != "") or k == "name"}
        payload = validate(schemas.PolicyIn, data)
        policy = policies.create_policy(actor=current_user, now=clock.now(), values=payload.model_dump())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash(f"已新增时限规则：{policy.name}。", "success")
    return redirect(url_for("web_admin.policies"), 303)


@bp.get("/policies/<policy_id>")
@admin_required
def edit_policy(policy_id):
    return _form(_policy(policy_id))


@bp.post("/policies/<policy_id>")
@admin_required
def update_policy(policy_id):
    """A change raises the version; running deadlines keep the terms they started with."""
    policy = _policy(policy_id)
    try:
        data = _values(request.form)
        payload = validate(schemas.PolicyPatchIn, data)
        sent = payload.model_dump(include=set(data))
        new = changed(
            {k: getattr(policy, k) for k in FIELDS},
            {k: v for k, v in sent.items() if v is not None or k in schemas.POLICY_NULLABLE},
        )
        if new:
            policies.update_policy(policy, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(_policy(policy_id), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash(f"已保存，规则版本为 {policy.version}。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.policies"), 303)
