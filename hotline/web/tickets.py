"""Ticket pages: the list, intake (登记来电), one ticket and its actions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from knowledge_base import permissions as kb_permissions
from knowledge_base import services as kb_services
from knowledge_base.models import Article

from ..attachments import permissions as attachment_permissions
from ..attachments import queries as attachment_queries
from ..attachments import services as attachment_services
from ..attachments.models import SOURCE_LABELS, Source
from ..attachments.schemas import attachment_out
from ..categories import queries as category_queries
from ..core import clock
from ..core.bodies import accepts_uploads
from ..core.errors import DomainError, InvalidInput
from ..core.validation import validate
from ..extensions import db
from ..queues import rows as queue_rows
from ..queues import views as queue_views
from ..routing import duplicates, reply_rules
from ..routing import permissions as routing_permissions
from ..sla import queries as sla_queries
from ..supervision import permissions as supervision_permissions
from ..supervision import queries as supervision_queries
from ..supervision.models import CASE_STATUS_LABELS
from ..tickets import listing, permissions, queries, services
from ..tickets.models import CHANNEL_LABELS, INTAKE_CHANNELS, REQUEST_TYPE_LABELS, SATISFACTION_LABELS, URGENCY_LABELS
from ..tickets.states import ACTION_LABELS, STATUS_LABELS, Action
from ..tickets.views import ACTIONS, detail
from ..units import queries as unit_queries
from ..units.models import Level
from . import dispatch, intake
from .attachments import attach_form_files, chosen_files
from .helpers import field_errors, form_data, role_required

bp = Blueprint("web_tickets", __name__)

PER_PAGE = 25
# The running deadlines a ticket's page counts down: signing for it, replying, rectifying.
COUNTDOWN_KINDS = ("accept", "reply", "rectification")
# The list counts up to this many tickets and says "超过 10000 件" beyond (see queries.search);
# a search by text up to a thousand (each match counted is a row of the text index read:
# a common word matches 22,000 of a big city's million tickets, bench/pages.py).
COUNT_LIMIT = 10_000
SEARCH_COUNT_LIMIT = 1_000

# How each action's form fields are typed (see form_data).
FORM_TYPES = {
    Action.REQUEST_EXTENSION: {"ints": ("hours",)},
    Action.DECIDE_EXTENSION: {"bools": ("approve",), "optional": ("note",)},
    Action.CALLBACK: {"bools": ("resolved",), "optional": ("note",)},
    Action.DISPATCH: {"lists": ("assist_units",), "optional": ("lead_unit", "note")},
    Action.ANSWER: {"ints": ("article_id",), "optional": ("article_id", "answer")},
    Action.SUBMIT: {"optional": ("note",)},
    Action.ACCEPT: {"optional": ("note",)},
    Action.REPLY: {"bools": ("confirm_warnings",), "optional": ("confirm_warnings",)},
}


def _labels() -> dict:
    return {
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "action": {k.value: v for k, v in ACTION_LABELS.items()},
        "request_type": {k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
        "urgency": {k.value: v for k, v in URGENCY_LABELS.items()},
        "channel": {k.value: v for k, v in CHANNEL_LABELS.items()},
        "intake_channel": {k.value: CHANNEL_LABELS[k] for k in INTAKE_CHANNELS},
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
    """The ticket list: filtered and ordered in SQL (:mod:`hotline.tickets.listing`), a page at
    a time, each running deadline as a countdown; the same filters export to Excel."""
    try:
        params = listing.parse(request.args)
    except InvalidInput as exc:
        flash(f"筛选条件有误：{exc.message_zh}", "error")
        return redirect(url_for("web_tickets.list_tickets"))
    now = clock.now()
    page = queries.search(
        current_user,
        q=params.q,
        clauses=listing.where(params, listing.resolve(params), now),
        order_by=listing.order_by(params.sort),
        page=params.page,
        per_page=PER_PAGE,
        count_limit=SEARCH_COUNT_LIMIT if params.q else COUNT_LIMIT,
    )
    return render_template(
        "tickets/list.html",
        page=page,
        rows=queue_rows.ticket_rows(page.items, current_user, now),
        params=params,
        now=now,
        export_url=url_for("web_queues.export_tickets", **request.args),
        **queue_views.filter_choices(),
    )


@bp.route("/tickets/new", methods=["GET", "POST"])
@role_required(permissions.can_create)
def new_ticket():
    """登记来电. A refused form comes back with everything typed, the chosen article and the
    answer included; the page's script also keeps a draft in the browser, so that a
    session or a page that expired meanwhile loses nothing (see static/app.js)."""
    values = {"channel": "phone", "urgency": "normal", "request_type": "consultation"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        values.pop("csrf_token", None)
        try:
            outcome = intake.create_from_form(request.form, actor=current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            errors = field_errors(exc)
            status = exc.status
            flash(exc.message_zh, "error")
        else:
            flash(outcome.message, "success")
            session["intake_saved"] = True  # the page's script then forgets the draft
            return redirect(url_for("web_tickets.show_ticket", number=outcome.number), 303)
    return render_template(
        "tickets/new.html",
        values=values,
        errors=errors,
        labels=_labels(),
        article_title=_article_title(values.get("article_id")),
        category_groups=intake.category_groups(),
        **_choices(),
    ), status


def _article_title(article_id: str | None) -> str | None:
    """The title of the article the refused form had chosen, to show it again."""
    if not (article_id or "").isdecimal() or len(article_id) > 9:
        return None
    article = kb_services.get_published(int(article_id))
    return article.title if article else None


@bp.get("/tickets/<number>")
@role_required(permissions.can_list_tickets)
def show_ticket(number):
    ticket = queries.get_visible(current_user, number)
    return render_detail(ticket)


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


def _answer_article(ticket) -> dict | None:
    """The article a ticket was answered from, by its title (a link for those who may read it)."""
    if not ticket.answer_article_id:
        return None
    article = db.session.get(Article, ticket.answer_article_id)
    if article is None:
        return None
    readable = kb_permissions.can_search(current_user) and kb_permissions.can_view(current_user, article)
    return {"title": article.title, "url": url_for("web_kb.show_article", article_id=article.id) if readable else None}


def _attachment_url(attachment, variant: str) -> str:
    return url_for("web_attachments.file", attachment_id=attachment.id, variant=variant)


def render_detail(ticket, *, errors=None, values=None, failed_action=None, status=200):
    cases, can_open_case = _cases_of(ticket)
    t = detail(ticket, current_user)
    attachments = [
        attachment_out(a, current_user, url_for=_attachment_url) for a in attachment_queries.for_ticket(ticket)
    ]
    clocks = sla_queries.running_countdowns([ticket.id], clock.now(), kinds=COUNTDOWN_KINDS)[ticket.id]
    return (
        render_template(
            "tickets/detail.html",
            t=t,
            suggestions=_suggestions(ticket, t.allowed_actions),
            similar=(
                duplicates.similar(ticket, viewer=current_user, now=clock.now())
                if Action.MERGE.value in t.allowed_actions
                else []
            ),
            # The dispatcher's group dispatch: this ticket's duplicates also awaiting dispatch.
            group=(
                duplicates.pending_group(ticket, viewer=current_user, now=clock.now())
                if Action.DISPATCH.value in t.allowed_actions and routing_permissions.can_dispatch_group(current_user)
                else []
            ),
            proposal=(
                dispatch.for_ticket(ticket, current_user) if Action.DISPATCH.value in t.allowed_actions else None
            ),
            answer_article=_answer_article(ticket),
            cases=cases,
            case_labels={k.value: v for k, v in CASE_STATUS_LABELS.items()},
            can_open_case=can_open_case,
            labels=_labels(),
            errors=errors or {},
            values=values or {},
            failed_action=failed_action,
            # After a refused reply: whether confirming may save it (the reply check warns) or not (blocks).
            reply_check_blocks=failed_action == Action.REPLY.value
            and reply_rules.mode_for(ticket.request_type) == reply_rules.BLOCK,
            clocks=clocks,
            attachments=attachments,
            source_labels={k.value: v for k, v in SOURCE_LABELS.items()},
            can_add_attachments=attachment_permissions.can_add(current_user, ticket),
            max_attachment_mb=attachment_services.max_bytes() // (1024 * 1024),
            **_choices(),
        ),
        status,
    )


@bp.post("/tickets/<number>/<action>")
@role_required(permissions.can_list_tickets)
@accepts_uploads
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
        now = clock.now()
        handler(ticket, current_user, now, data)
        if action == Action.REPLY and chosen_files():  # the reply's photos (the repaired road)
            reply = queries.replies(ticket)[-1]
            attach_form_files(ticket, actor=current_user, now=now, source=Source.REPLY.value, reply=reply)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        ticket = queries.get_visible(current_user, number)
        return render_detail(
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
