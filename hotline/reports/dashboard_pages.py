"""The dashboard page (工作台): the supervisor's start page, and the unit's version.

``/dashboard`` renders it; ``/ui/dashboard`` returns the same sections as HTML inside JSON,
which ``static/dashboard.js`` fetches every minute to refresh the page in place (the page
works without the script: it then refreshes on reload).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user

from ..core import clock
from ..web.helpers import role_required
from . import dashboard, permissions

bp = Blueprint("web_dashboard", __name__)

REFRESH_SECONDS = 60  # DASHBOARD_REFRESH_SECONDS in the config overrides it (the browser test: 1)


def duration_zh(minutes: int | None) -> str:
    """A span of minutes in words: 45分钟, 1小时20分, 2天3小时."""
    if minutes is None:
        return ""
    minutes = abs(int(minutes))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{mins}分钟"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _context() -> dict:
    now = clock.now()
    data = dashboard.build(current_user, now=now)
    return {
        "d": data,
        "is_unit": data["scope"]["unit"] is not None,
        "can_decide": current_user.role == "supervisor",
        "duration_zh": duration_zh,
        "percent": percent,
        "updated_at": clock.local(now).strftime("%H:%M"),
        "refresh_seconds": current_app.config.get("DASHBOARD_REFRESH_SECONDS", REFRESH_SECONDS),
    }


@bp.get("/dashboard")
@role_required(permissions.can_view_dashboard)
def show():
    return render_template("reports/dashboard.html", **_context())


@bp.get("/ui/dashboard")
@role_required(permissions.can_view_dashboard)
def sections():
    """The page's sections, rendered again, for the refresh script (JSON, session-authenticated)."""
    context = _context()
    return jsonify(
        {
            "html": render_template("reports/_dashboard_sections.html", **context),
            "generated_at": context["d"]["generated_at"],
            "updated_at": context["updated_at"],
        }
    )
