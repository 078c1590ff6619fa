"""Callers' history for the intake form (JSON), and who looked a caller up (a page).

The caller's number travels in the request body, never in the URL, and every lookup is
recorded in the audit trail (``hotline.callers.services.look_up``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from ..accounts import permissions as account_permissions
from ..callers import services as caller_services
from ..core import clock
from ..core.errors import InvalidInput
from ..core.validation import parse_json_body, validate
from ..extensions import db
from ..tickets import permissions, queries, schemas
from ..tickets.caller_views import lookups_out
from ..tickets.models import REQUEST_TYPE_LABELS
from ..tickets.states import STATUS_LABELS, Status
from .helpers import form_data, role_required

bp = Blueprint("web_callers", __name__)

# A caller with a ticket still open from this far back is a repeat caller (重复来电).
REPEAT_WINDOW = timedelta(days=30)


def _phone_from_request() -> str:
    """The normalised number from a JSON body (the intake form's script) or a form field."""
    raw = parse_json_body(request.get_data(cache=True)) if request.is_json else form_data(request.form)
    return validate(schemas.CallerLookupIn, raw).phone


@bp.post("/ui/callers/lookup")
@role_required(permissions.can_lookup_caller)
def caller_history():
    """The caller's earlier tickets, for the intake form (JSON; the lookup is audited)."""
    try:
        phone = _phone_from_request()
    except InvalidInput:
        return jsonify(
            {"error": {"code": "validation_error", "field": "phone", "message_zh": "电话号码格式不正确。"}}
        ), 422
    now = clock.now()
    caller = caller_services.look_up(phone, actor=current_user, now=now)
    if caller is None:
        db.session.commit()
        return jsonify({"caller": None, "items": []})
    page = queries.search(current_user, caller_id=caller.id, page=1, per_page=20)
    items = [
        {
            "number": t.number,
            "url": url_for("web_tickets.show_ticket", number=t.number),
            "status_label": STATUS_LABELS[Status(t.status)],
            "request_type_label": REQUEST_TYPE_LABELS[t.request_type],
            "content": t.content[:80],
            "created_at": clock.local(t.created_at).strftime("%Y-%m-%d %H:%M"),
            "overdue": schemas.ticket_out(t, current_user, now).is_overdue,
        }
        for t in page.items
    ]
    repeat = [
        {
            "number": t.number,
            "url": url_for("web_tickets.show_ticket", number=t.number),
            "status_label": STATUS_LABELS[Status(t.status)],
            "content": t.content[:80],
            "created_at": clock.local(t.created_at).strftime("%Y-%m-%d %H:%M"),
        }
        for t in queries.open_since(current_user, caller.id, now - REPEAT_WINDOW)
    ]
    body = {
        "caller": {"phone": caller.phone, "name": caller.name},
        "items": items,
        "total": page.total,
        "repeat": repeat,
    }
    db.session.commit()
    return jsonify(body)


@bp.route("/callers/lookups", methods=["GET", "POST"])
@role_required(account_permissions.can_view_caller_lookups)
def lookups():
    """Who looked this citizen up: a number typed into a form (POST), never in the URL."""
    errors: dict[str, str] = {}
    result, typed, status = None, "", 200
    if request.method == "POST":
        typed = request.form.get("phone", "")
        try:
            result = lookups_out(validate(schemas.CallerLookupIn, form_data(request.form)).phone)
        except InvalidInput as exc:
            errors, status = {"phone": "来电号码格式不正确，请输入手机号或带区号的固定电话。"}, exc.status
    return render_template("callers/lookups.html", result=result, typed=typed, errors=errors), status
