"""Sign-in pages and the landing page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from knowledge_base import permissions as kb_permissions

from ..accounts import permissions as account_permissions
from ..accounts import services as accounts
from ..accounts.models import ROLE_LABELS, Role
from ..core import clock
from ..core.errors import Unauthorized
from ..core.wiring import public
from ..extensions import db
from ..notifications import permissions as outbox_permissions
from ..reports import permissions as report_permissions
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
    ("消息记录", "web_supervision.outbox", outbox_permissions.can_view_outbox),
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
        "local_time": _local_time,
        "role_labels": {k.value: v for k, v in ROLE_LABELS.items()},
        "nav_items": nav_items,
    }


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
    """Each role's start page: the dashboard for supervisors and unit staff (what is due, what is
    late, what waits for a decision), the ticket list for the others who work tickets, the
    editors' desk for editors."""
    if current_user.role in (Role.SUPERVISOR, Role.UNIT_STAFF) and report_permissions.can_view_dashboard(current_user):
        return redirect(url_for("web_dashboard.show"))
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
                form.username.data,
                form.password.data,
                now=now,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except Unauthorized as exc:
            db.session.commit()  # keep the failure count
            form.password.errors.append(exc.message_zh)
            return render_template("login.html", form=form), 401
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
