"""Ticket pages: the list, intake (登记来电), one ticket and its actions."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from knowledge_base import permissions as kb_permissions
from knowledge_base import services as kb_services

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import DomainError, InvalidInput
from ..core.validation import validate
from ..extensions import db
from ..supervision import permissions as supervision_permissions
from ..supervision import queries as supervision_queries
from ..tickets import permissions, queries, schemas, services
from ..tickets.models import CHANNEL_LABELS, REQUEST_TYPE_LABELS, SATISFACTION_LABELS, URGENCY_LABELS
from ..tickets.states import ACTION_LABELS, STATUS_LABELS, Action, Status
from ..tickets.views import ACTIONS, detail
from ..units import queries as unit_queries
from ..units.models import Level
from .helpers import field_errors, filters, form_data, role_required

bp = Blueprint("web_tickets", __name__)

PER_PAGE = 25
# The list counts up to this many tickets and says "超过 10000 件" beyond (see queries.search).
COUNT_LIMIT = 10_000

# How each action's form fields are typed (see form_data).
FORM_TYPES = {
    Action.REQUEST_EXTENSION: {"ints": ("hours",)},
    Action.DECIDE_EXTENSION: {"bools": ("approve",), "optional": ("note",)},
    Action.CALLBACK: {"bools": ("resolved",), "optional": ("note",)},
    Action.DISPATCH: {"lists": ("assist_units",), "optional": ("lead_unit", "note")},
    Action.ANSWER: {"ints": ("article_id",), "optional": ("article_id", "answer")},
    Action.SUBMIT: {"optional": ("note",)},
    Action.ACCEPT: {"optional": ("note",)},
}


def _labels() -> dict:
    return {
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "action": {k.value: v for k, v in ACTION_LABELS.items()},
        "request_type": {k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
        "urgency": {k.value: v for k, v in URGENCY_LABELS.items()},
        "channel": {k.value: v for k, v in CHANNEL_LABELS.items()},
        "satisfaction": {k.value: v for k, v in SATISFACTION_LABELS.items()},
    }


def _choices() -> dict:
    units = unit_queries.list_units()
    categories = category_queries.list_categories()
    parents = {c.parent_id for c in categories if c.parent_id}
    return {
        # Operators classify with the most specific category: the leaves of the tree.
        "categories": [c for c in categories if c.id not in parents],
        "units": units,
        "areas": [u for u in units if u.level in (Level.DISTRICT, Level.TOWN)],
    }


@bp.get("/tickets")
@role_required(permissions.can_list_tickets)
def list_tickets():
    params = filters(schemas.TicketListQuery, request.args)
    if params is None:
        return redirect(url_for("web_tickets.list_tickets"))
    unit_id = None
    if params.unit:
        unit = unit_queries.get_by_code(params.unit)
        unit_id = unit.id if unit else -1
    page = queries.search(
        current_user,
        status=params.status,
        unit_id=unit_id,
        request_type=params.type,
        q=params.q,
        page=params.page,
        per_page=PER_PAGE,
        count_limit=COUNT_LIMIT,
    )
    now = clock.now()
    rows = [schemas.ticket_out(t, current_user, now) for t in page.items]
    return render_template(
        "tickets/list.html", page=page, rows=rows, params=params, labels=_labels(), units=unit_queries.list_units()
    )


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required(permissions.can_create)
def new_ticket():
    values = {"channel": "phone", "urgency": "normal", "request_type": "consultation"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        intent = values.pop("intent", "save")
        answer_text = values.pop("answer", "").strip()
        article_id = values.pop("article_id", "").strip()
        data = form_data(request.form, optional=("caller_name", "area", "address"))
        for key in ("intent", "answer", "article_id"):
            data.pop(key, None)
        try:
            ticket = _create_from_form(data, intent, answer_text, article_id)
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
            status = exc.status
            flash(exc.message_zh, "error")
        else:
            flash(f"工单 {ticket.number} 已{_INTENT_DONE[intent]}。", "success")
            return redirect(url_for("web_tickets.show_ticket", number=ticket.number), 303)
    return render_template("tickets/new.html", values=values, errors=errors, labels=_labels(), **_choices()), status


_INTENT_DONE = {"save": "登记", "answer": "直接答复并办结", "submit": "登记并提交派单"}


def _create_from_form(data: dict, intent: str, answer_text: str, article_id: str):
    if intent not in _INTENT_DONE:
        raise InvalidInput("Unknown intent.", message_zh="未知的操作。", field="intent")
    payload = validate(schemas.TicketCreateIn, data)
    answer = None
    if intent == "answer":
        if not answer_text:
            raise InvalidInput("Give the answer.", message_zh="直接答复须填写答复内容。", field="answer")
        answer = validate(
            schemas.AnswerIn, form_data({"answer": answer_text, "article_id": article_id}, **FORM_TYPES[Action.ANSWER])
        )
    now = clock.now()
    ticket, _ = services.create(actor=current_user, data=services.NewTicket(**payload.model_dump()), now=now)
    if answer is not None:
        services.answer(ticket, actor=current_user, now=now, article_id=answer.article_id, answer_text=answer.answer)
    elif intent == "submit":
        services.submit(ticket, actor=current_user, now=now)
    db.session.commit()
    return ticket


@bp.get("/tickets/<number>")
@role_required(permissions.can_list_tickets)
def show_ticket(number):
    ticket = queries.get_visible(current_user, number)
    return _render_detail(ticket)


def _cases_of(ticket):
    """The ticket's supervision cases this user may see, and whether they may open one."""
    if not supervision_permissions.can_list_cases(current_user):
        return [], False
    cases = supervision_queries.list_cases(current_user, ticket_id=ticket.id, page=1, per_page=20).items
    can_open = supervision_permissions.can_open_case(current_user) and all(c.status == "closed" for c in cases)
    return cases, can_open


def _suggestions(ticket, allowed_actions):
    """Knowledge-base articles for a ticket the operator may still answer on the call."""
    if Action.ANSWER.value not in allowed_actions or not kb_permissions.can_search(current_user):
        return []
    return kb_services.suggest(current_user, ticket.content, limit=3)


def _render_detail(ticket, *, errors=None, values=None, failed_action=None, status=200):
    cases, can_open_case = _cases_of(ticket)
    t = detail(ticket, current_user)
    return (
        render_template(
            "tickets/detail.html",
            t=t,
            suggestions=_suggestions(ticket, t.allowed_actions),
            cases=cases,
            can_open_case=can_open_case,
            labels=_labels(),
            errors=errors or {},
            values=values or {},
            failed_action=failed_action,
            **_choices(),
        ),
        status,
    )


@bp.post("/tickets/<number>/<action>")
@role_required(permissions.can_list_tickets)
def act(number, action):
    try:
        action = Action(action)
    except ValueError:
        action = None
    if action not in ACTIONS:
        return render_template("error.html", status=404, title="页面不存在", message="不支持的操作。"), 404
    ticket = queries.get_visible(current_user, number)
    schema, handler, *_ = ACTIONS[action]
    try:
        services.check(ticket, action, current_user)
        data = validate(schema, form_data(request.form, **FORM_TYPES.get(action, {})))
        handler(ticket, current_user, clock.now(), data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        ticket = queries.get_visible(current_user, number)
        return _render_detail(
            ticket,
            errors=field_errors(exc),
            values=request.form.to_dict(),
            failed_action=action.value,
            status=exc.status,
        )
    flash(f"已{ACTION_LABELS[action]}。", "success")
    if not permissions.can_view(current_user, ticket):  # e.g. a unit returned it
        return redirect(url_for("web_tickets.list_tickets"), 303)
    return redirect(url_for("web_tickets.show_ticket", number=number), 303)


@bp.get("/ui/callers/<phone>/tickets")
@role_required(permissions.can_lookup_caller)
def caller_history(phone):
    """The caller's earlier tickets, for the intake form (JSON, session-authenticated, read-only)."""
    try:
        normalised = schemas.normalise_phone(phone)
    except ValueError:
        return jsonify(
            {"error": {"code": "validation_error", "field": "phone", "message_zh": "电话号码格式不正确。"}}
        ), 422
    from ..callers import queries as caller_queries

    caller = caller_queries.get_by_phone(normalised)
    if caller is None:
        return jsonify({"caller": None, "items": []})
    page = queries.search(current_user, caller_id=caller.id, page=1, per_page=20)
    now = clock.now()
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
    return jsonify({"caller": {"phone": caller.phone, "name": caller.name}, "items": items, "total": page.total})
