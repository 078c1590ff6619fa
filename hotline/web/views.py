"""Sign-in pages and the landing page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from knowledge_base import permissions as kb_permissions

from ..accounts import permissions as account_permissions
from ..accounts import queries as account_queries
from ..accounts import services as accounts
from ..accounts.models import ROLE_LABELS
from ..core import clock
from ..core.clients import client_address
from ..core.errors import TooManyRequests, Unauthorized
from ..core.field_labels import field_label
from ..core.wiring import public
from ..extensions import db
from ..notifications import permissions as outbox_permissions
from ..queues import permissions as queue_permissions
from ..reports import permissions as report_permissions
from ..routing import permissions as routing_permissions
from ..supervision import permissions as supervision_permissions
from ..tickets import permissions
from .forms import LoginForm

bp = Blueprint("web", __name__)


# The navigation: (label, endpoint, who sees it), every domain's pages in one list.
NAV = [
    ("工作台", "web_dashboard.show", report_permissions.can_view_dashboard),
    ("工单", "web_tickets.list_tickets", permissions.can_list_tickets),
    ("登记来电", "web_tickets.new_ticket", permissions.can_create),
    ("知识库", "web_kb.search", kb_permissions.can_search),
    ("监察案件", "web_supervision.list_cases", supervision_permissions.can_list_cases),
    ("黄牌红牌", "web_supervision.list_cards", supervision_permissions.can_list_cards),
    ("答复检查设置", "web_dispatch.reply_check_settings", routing_permissions.can_set_reply_check),
    ("消息记录", "web_supervision.outbox", outbox_permissions.can_view_outbox),
    ("来电查询记录", "web_callers.lookups", account_permissions.can_view_caller_lookups),
    ("考核报表", "reports_pages.figures", report_permissions.can_view_some_figures),
    ("热点诉求", "web_reports_topics.hot_topics", report_permissions.can_view_hot_topics),
    ("运行通报", "web_bulletins.list_bulletins", report_permissions.can_read_bulletins),
    ("系统管理", "web_admin.index", account_permissions.can_administer),
]


def nav_items() -> list[dict]:
    items = []
    for label, endpoint, allowed in NAV:
        if current_user.is_authenticated and allowed(current_user):
            url = url_for(endpoint)
            items.append({"label": label, "url": url, "active": request.path == url})
    return items


def template_globals() -> dict:
    return {
        "person_name": _person_name,
        "field_label": field_label,
        "local_time": _local_time,
        "role_labels": {k.value: v for k, v in ROLE_LABELS.items()},
        "nav_items": nav_items,
    }


def _person_name(username: str | None) -> str:
    """A person by their display name, never their username (looked up once per request)."""
    if not username:
        return ""
    names = g.setdefault("person_names", {})
    if username not in names:
        user = account_queries.get_by_username(username)
        names[username] = user.display_name if user else "（未知用户）"
    return names[username]


def _local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = clock.local(value)
    return local.strftime(fmt) if local else ""


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
@login_required
def index():
    """Each role's start page: its work queue (待办: operators, dispatchers, unit staff,
    supervisors; the dashboard stays one click away in the menu), the ticket list for admins,
    the editors' desk for editors."""
    if queue_permissions.can_use_queues(current_user):
        return redirect(url_for("web_queues.start"))
    if permissions.can_list_tickets(current_user):
        return redirect(url_for("web_tickets.list_tickets"))
    if kb_permissions.can_edit(current_user):
        return redirect(url_for("web_kb.list_articles"))
    abort(403)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("web.index"))
    form = LoginForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            user = accounts.authenticate(
                form.username.data, form.password.data, address=client_address(), via="web", now=now
            )
        except (Unauthorized, TooManyRequests) as exc:
            db.session.commit()  # keep the failure's counters and its audit record
            form.password.errors.append(exc.message_zh)
            headers = getattr(exc, "headers", {})
            return render_template("login.html", form=form), exc.status, headers
        db.session.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        return redirect(_safe_next(request.args.get("next")) or url_for("web.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    accounts.logout(current_user._get_current_object(), now=clock.now())
    db.session.commit()
    logout_user()
    session.clear()
    flash("已退出登录。", "info")
    return redirect(url_for("web.login"))
