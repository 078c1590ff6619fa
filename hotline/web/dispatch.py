"""Dispatch suggestions on the pages: the JSON the intake form's script asks as the operator
types (/ui/dispatch/suggest), and the list shown on the dispatcher's ticket page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import clock
from ..core.errors import DomainError, InvalidInput
from ..core.validation import validate
from ..core.vocabulary import REQUEST_TYPE_LABELS
from ..extensions import db
from ..routing import duplicates, group_dispatch, permissions, reply_rules, schemas, services
from ..tickets import permissions as ticket_permissions
from ..tickets import queries as ticket_queries
from ..tickets.states import STATUS_LABELS, Status
from ..units import queries as unit_queries
from .helpers import field_errors, form_data, role_required

bp = Blueprint("web_dispatch", __name__)

SOURCE_LABELS = {"history": "历史学习", "catalogue": "派单目录", "history+catalogue": "历史学习、派单目录"}


@bp.post("/ui/dispatch/suggest")
@role_required(permissions.can_suggest)
def suggest():
    """Categories and lead units for the ticket being typed (read-only; the text is POSTed:
    a ticket's content may have 5,000 characters)."""
    try:
        data = validate(schemas.SuggestIn, form_data(request.form, optional=("area", "category")))
        found = services.suggest(
            data.content, area=services.check_area(data.area), category=services.check_category(data.category)
        )
    except InvalidInput as exc:
        return jsonify({"error": exc.to_dict()}), exc.status
    payload = schemas.suggest_out(found).model_dump(mode="json")
    for unit in payload["units"]:
        unit["source_label"] = SOURCE_LABELS.get(unit["source"], unit["source"])
    return jsonify(payload)


@bp.post("/ui/dispatch/similar")
@role_required(permissions.can_suggest)
def similar():
    """Probable duplicates of the ticket being typed: open tickets of the last days in the same
    area with like words (the form offers to record the call and merge it into one)."""
    if len((request.form.get("content") or "").strip()) < 4:
        return jsonify({"items": []})
    try:  # the same checks as the suggestions' (no NUL or control characters, a known area)
        data = validate(schemas.SuggestIn, form_data(request.form, optional=("area",)))
        area = services.check_area(data.area)
        area_unit = area and unit_queries.get_by_code(area)
    except InvalidInput as exc:
        return jsonify({"error": exc.to_dict()}), exc.status
    content = data.content
    if len(content) < 4:
        return jsonify({"items": []})
    found = duplicates.similar_to(
        content, area_unit_id=area_unit.id if area_unit else None, viewer=current_user, now=clock.now(), limit=5
    )
    return jsonify(
        {
            "items": [
                {
                    "number": s.ticket.number,
                    "status": STATUS_LABELS[Status(s.ticket.status)],
                    "content": s.ticket.content[:80],
                    "score": s.score,
                    "url": url_for("web_tickets.show_ticket", number=s.ticket.number),
                }
                for s in found
            ]
        }
    )


@bp.post("/tickets/<number>/dispatch-group")
@role_required(ticket_permissions.can_list_tickets)
def dispatch_group(number):
    """一并派单: the head and the chosen members to the same units, all or nothing."""
    from .tickets import render_detail  # the ticket page (it imports this module)

    ticket = ticket_queries.get_visible(current_user, number)
    if not permissions.can_dispatch_group(current_user):
        abort(403)
    try:
        data = validate(
            schemas.DispatchGroupIn,
            form_data(request.form, lists=("members", "assist_units"), optional=("note",)),
        )
        done = group_dispatch.dispatch_group(
            ticket,
            members=data.members,
            actor=current_user,
            now=clock.now(),
            lead_unit=data.lead_unit,
            assist_units=data.assist_units,
            note=data.note,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        ticket = ticket_queries.get_visible(current_user, number)
        return render_detail(
            ticket,
            errors=field_errors(exc),
            values=request.form.to_dict(),
            failed_action="dispatch-group",
            status=exc.status,
        )
    flash(f"已一并派单 {len(done)} 件：{'、'.join(t.number for t in done)}。", "success")
    return redirect(url_for("web_tickets.show_ticket", number=number), 303)


def for_ticket(ticket, user) -> dict | None:
    """What the dispatcher's page proposes for a ticket: the catalogue's answer first (its rule
    and basis, preselected in the form), then the lead units ranked."""
    if not permissions.can_suggest(user):
        return None
    found = services.for_ticket(ticket)
    answer = found.catalogue
    return {
        "catalogue": None
        if answer is None
        else {
            "lead_unit": answer.lead_unit,
            "lead_unit_name": answer.lead_unit_name,
            "assist_units": list(answer.assist_units),
            "basis": answer.basis,
            # The catalogue names a unit that already returned this ticket: said, not preselected.
            "returned": answer.lead_unit in services.returned_by(ticket),
        },
        "units": [
            {"code": u.code, "name": u.name, "percent": round(u.score * 100), "source": SOURCE_LABELS[u.source]}
            for u in found.units
        ],
    }


@bp.post("/ui/tickets/<number>/reply-check")
@role_required(ticket_permissions.can_list_tickets)
def reply_check(number):
    """The reply check of the reply being written (the reply form's script, as the staff type)."""
    ticket = ticket_queries.get_visible(current_user, number)
    if not permissions.can_check_reply(current_user, ticket):
        abort(403)
    try:
        data = validate(schemas.ReplyCheckIn, form_data(request.form))
    except InvalidInput as exc:
        return jsonify({"error": exc.to_dict()}), exc.status
    payload = reply_rules.out(ticket, reply_rules.run(ticket, data.content))
    payload["mode_label"] = reply_rules.MODE_LABELS[payload["mode"]]
    return jsonify(payload)


def _settings_page(*, errors=None, status=200):
    return (
        render_template(
            "supervision/reply_check.html",
            modes=reply_rules.modes(),
            request_types={k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
            mode_labels=reply_rules.MODE_LABELS,
            rules=reply_rules.replycheck.RULES,
            errors=errors or {},
        ),
        status,
    )


@bp.get("/supervision/reply-check")
@role_required(permissions.can_set_reply_check)
def reply_check_settings():
    """Whether a failed reply check warns or blocks, per request type."""
    return _settings_page()


@bp.post("/supervision/reply-check")
@role_required(permissions.can_set_reply_check)
def save_reply_check_settings():
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        changed = reply_rules.set_modes(actor=current_user, now=clock.now(), values=values)
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return _settings_page(errors=field_errors(exc), status=exc.status)
    flash(f"已保存答复检查设置（{len(changed)} 项变更）。" if changed else "设置没有变化。", "success")
    return redirect(url_for("web_dispatch.reply_check_settings"), 303)
