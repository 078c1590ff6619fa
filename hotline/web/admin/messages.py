"""Notification templates (消息模板): each message's channel, subject and text."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ...core import clock
from ...core.errors import DomainError
from ...core.validation import validate
from ...extensions import db
from ...notifications import schemas, services, templates
from . import admin_required, bp, changed, form_values, refused, render

LABELS = {"channel": "发送方式", "subject": "邮件标题", "body": "消息内容"}
CHANNEL_LABELS = {"sms": "短信", "email": "电子邮件"}
AUDIENCE_LABELS = {"unit": "成员单位", "unit_head": "单位负责人", "supervisor": "督办人员", "citizen": "来电人"}
PLACEHOLDER_LABELS = {
    "ticket_number": "工单号",
    "request_type": "诉求类型",
    "category": "诉求分类",
    "unit_name": "单位名称",
    "due_at": "办理期限",
    "deadline": "时限类型（签收/答复/整改）",
    "article_id": "知识条目编号",
    "article_title": "知识条目标题",
    "review_by": "复核日期",
    "note": "备注",
    "head_name": "负责人姓名",
    "code": "验证码",
    "minutes": "有效分钟数",
}


def _labels() -> dict:
    return {"channels": CHANNEL_LABELS, "audiences": AUDIENCE_LABELS, "placeholders": PLACEHOLDER_LABELS}


# Each placeholder as the list shows it: its name in Chinese, in braces ({工单号}).
_READABLE = {name: "{" + label.split("（")[0] + "}" for name, label in PLACEHOLDER_LABELS.items()}


def readable(text: str) -> str:
    """A template's text as the list shows it, each placeholder by its Chinese name
    ({ticket_number} → {工单号}), which the form's table pairs with what to type."""
    return templates.render(text, _READABLE)


@bp.get("/templates", endpoint="templates")
@admin_required
def list_templates():
    return render("admin/templates.html", items=services.list_templates(), readable=readable, **_labels())


def _template(code: str):
    if code not in templates.DEFAULTS:
        abort(404)
    return services.get_template(code)


def _form(template, *, errors=None, values=None, status=200):
    return render(
        "admin/template_form.html",
        status=status,
        t=template,
        max_body=templates.MAX_BODY,
        errors=errors or {},
        values=values or {},
        **_labels(),
    )


@bp.get("/templates/<code>")
@admin_required
def edit_template(code):
    return _form(_template(code))


@bp.post("/templates/<code>")
@admin_required
def update_template(code):
    """Only the placeholders the message offers are accepted (the service checks them)."""
    current = _template(code)
    data = form_values(request.form, ("channel", "subject", "body"))
    if data.get("channel") == "sms":
        data.pop("subject", None)  # a text message has no subject: the field is not shown
    try:
        payload = validate(schemas.TemplateUpdateIn, data)
        now_values = {"channel": current.channel, "subject": current.subject, "body": current.body}
        new = changed(now_values, payload.model_dump(include=set(data)))
        if new:
            services.update_template(code, actor=current_user, now=clock.now(), changes=new)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form(_template(code), errors=refused(exc, LABELS), values=request.form.to_dict(), status=exc.status)
    flash(f"已保存：{current.spec.label}。" if new else "没有修改。", "success" if new else "info")
    return redirect(url_for("web_admin.templates"), 303)
