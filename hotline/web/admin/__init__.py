"""The admin pages (系统管理): units, users, categories, deadline policies, the holiday
calendar, notification templates, failed jobs and Open311 clients' API keys.

Admins only (``accounts.permissions.can_administer`` and each domain's own ``can_manage_*``).
Every form is validated by the API's schema of the same change and carried out by the
domain's service, which audits it; a refused form is shown again with what was typed,
the wrong field named by its Chinese label, and nothing changed.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, render_template

from ...accounts import permissions as account_permissions
from ...core.errors import DomainError
from ..helpers import field_errors, role_required

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
bp = Blueprint("web_admin", __name__, url_prefix="/admin")

# The admin pages' tabs: (label, endpoint).
SECTIONS = (
    ("单位", "web_admin.units"),
    ("用户", "web_admin.users"),
    ("诉求分类", "web_admin.categories"),
    ("派单目录", "web_admin.catalogue_rules"),
    ("时限规则", "web_admin.policies"),
    ("节假日日历", "web_admin.calendar"),
    ("消息模板", "web_admin.templates"),
    ("失败任务", "web_admin.jobs"),
    ("Open311接口", "web_admin.open311"),
)

admin_required = role_required(account_permissions.can_administer)


def search_text(args, limit: int = 100) -> str:
    """A list's search box: trimmed, at most ``limit`` characters, without control
    characters or NUL (PostgreSQL refuses NUL in a LIKE pattern where SQLite compares it)."""
    return _CONTROL.sub("", args.get("q", "")).strip()[:limit]


def form_values(form, fields, *, floats=(), ints=(), bools=(), nullable=()) -> dict:
    """The submitted ``fields`` as the API's schema takes them: text trimmed; an empty
    nullable field is None, another empty optional one is left out; numbers and yes/no
    converted when they look like one (otherwise the schema names the field)."""
    data: dict = {}
    for name in fields:
        if name not in form:
            continue
        value = form.get(name, "").strip()
        if value == "":
            if name in nullable:
                data[name] = None
            elif name not in floats and name not in ints and name not in bools:
                data[name] = value
            continue
        if name in floats:
            data[name] = _number(value, float)
        elif name in ints:
            data[name] = _number(value, int)
        elif name in bools:
            data[name] = {"true": True, "false": False}.get(value, value)
        else:
            data[name] = value
    return data


def _number(value: str, kind):
    try:
        return kind(value)
    except ValueError:
        return value  # the schema says "应为数字" with the field's label


def changed(current: dict, new: dict) -> dict:
    """The entries of ``new`` that differ from ``current`` (an unchanged form changes nothing)."""
    return {k: v for k, v in new.items() if current.get(k) != v}


def refused(exc: DomainError, labels: dict[str, str]) -> dict[str, str]:
    """Flash why the form was refused, naming the field by its Chinese label
    ("单位名称：不能为空"), and return each wrong field's message to show beside it."""
    # Some services' messages start with the field's code ("body：内容不能为空"): the label replaces it.
    errors = {f: m.removeprefix(f"{f}：") for f, m in field_errors(exc).items()}
    named = [f"{labels[f]}：{m}" for f, m in errors.items() if f in labels]
    flash("未保存。" + ("；".join(named) if named else exc.message_zh), "error")
    return errors


def render(template: str, *, status: int = 200, **context):
    return render_template(template, sections=SECTIONS, **context), status


def init_app(app) -> None:
    """Register the admin pages and the calendar warning every admin page shows."""
    from ...core.wiring import register_pages
    from . import calendar, catalogue, categories, jobs, messages, open311, overview, policies, units, users  # noqa: F401

    register_pages(app, bp)
    app.jinja_env.globals["calendar_alerts"] = calendar.alerts
