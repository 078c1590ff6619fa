"""Supervision pages (电子监察): cases, cards, rectification notices, and the outbox."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts.models import User
from ..api.ids import path_id
from ..core import clock
from ..core.errors import DomainError, Forbidden, InvalidInput, NotFound
from ..core.validation import validate
from ..extensions import db
from ..notifications import permissions as outbox_permissions
from ..notifications import queries as outbox_queries
from ..notifications import schemas as outbox_schemas
from ..supervision import permissions, queries, schemas, services
from ..supervision.models import CARD_LABELS, CASE_STATUS_LABELS, Card
from ..supervision.views import detail
from ..tickets.models import Ticket
from ..units import queries as unit_queries
from ..units.models import Unit
from .helpers import field_errors, filters, form_data, role_required

bp = Blueprint("web_supervision", __name__)


def _forbidden() -> Forbidden:
    return Forbidden("Your role may not do this.", message_zh="您无权执行此操作。")


def _unit_id(code: str | None) -> int | None:
    if not code:
        return None
    unit = unit_queries.get_by_code(code)
    if unit is None or not permissions.sees_unit(current_user, unit.id):
        return -1  # nothing matches: a unit sees only its own records
    return unit.id


@bp.get("/supervision/cases")
@role_required(permissions.can_list_cases)
def list_cases():
    params = filters(schemas.CaseListQuery, request.args)
    if params is None:
        return redirect(url_for("web_supervision.list_cases"))
    ticket_id = None
    if params.ticket:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == params.ticket)) or -1
    page = queries.list_cases(
        current_user,
        ticket_id=ticket_id,
        unit_id=_unit_id(params.unit),
        status=params.status,
        page=params.page,
        per_page=params.per_page,
        count_limit=queries.COUNT_LIMIT,
    )
    return render_template(
        "supervision/cases.html",
        page=page,
        rows=[schemas.case_out(c) for c in page.items],
        params=params,
        statuses=CASE_STATUS_LABELS,
        units=unit_queries.list_units(),
    )


@bp.post("/supervision/cases")
@role_required(permissions.can_open_case)
def open_case():
    data = form_data(request.form)
    try:
        payload = validate(schemas.CaseOpenIn, data)
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == payload.ticket))
        if ticket is None:
            raise InvalidInput(f"No ticket {payload.ticket}.", message_zh="工单不存在。", field="ticket")
        case = services.open_case(ticket, actor=current_user, now=clock.now(), reason=payload.reason)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(f"立案失败：{exc.message_zh}", "error")
        # Back to the ticket's page when the number names one; it is read again unvalidated,
        # so a number with a NUL (which PostgreSQL refuses) names nothing.
        target = request.form.get("ticket", "")
        if target and "\x00" not in target and db.session.scalar(select(Ticket.id).where(Ticket.number == target)):
            return redirect(url_for("web_tickets.show_ticket", number=target), 303)
        return redirect(url_for("web_supervision.list_cases"), 303)
    flash(f"已立案（案件 {case.id}）。", "success")
    return redirect(url_for("web_supervision.show_case", case_id=case.id), 303)


def _case_or_404(case_id: str):
    return queries.get_visible_case(current_user, path_id(case_id, "case", "监察案件"))


def _render_case(case, *, errors=None, values=None, failed=None, status=200):
    return (
        render_template(
            "supervision/case.html",
            c=detail(case, current_user),
            case=case,
            can_order=permissions.can_order(current_user, case),
            can_notice=permissions.can_issue_notice(current_user, case),
            can_close=permissions.can_close(current_user, case),
            units=unit_queries.list_units(),
            errors=errors or {},
            values=values or {},
            failed=failed,
            card_labels={k.value: v for k, v in CARD_LABELS.items()},
        ),
        status,
    )


@bp.get("/supervision/cases/<case_id>")
@role_required(permissions.can_list_cases)
def show_case(case_id):
    return _render_case(_case_or_404(case_id))


# form name → (check, schema, service call)
def _order(case, data):
    services.issue_order(case, actor=current_user, now=clock.now(), kind=data.kind, note=data.note)


def _notice(case, data):
    services.issue_notice(
        case, actor=current_user, now=clock.now(), content=data.content, due_at=data.due, unit_code=data.unit
    )


def _close(case, data):
    services.close_case(case, actor=current_user, now=clock.now(), note=data.note)


CASE_FORMS = {
    "orders": (permissions.can_order, schemas.OrderIn, _order, "已下达"),
    "notices": (permissions.can_issue_notice, schemas.NoticeIn, _notice, "已下发整改通知书"),
    "close": (permissions.can_close, schemas.CloseIn, _close, "已结案"),
}


@bp.post("/supervision/cases/<case_id>/<form>")
@role_required(permissions.can_list_cases)
def case_form(case_id, form):
    case = _case_or_404(case_id)
    if form not in CASE_FORMS:
        raise NotFound("No such form.", message_zh="不支持的操作。")
    allowed, schema, call, done = CASE_FORMS[form]
    try:
        if not allowed(current_user, case):
            raise _forbidden()
        call(case, validate(schema, form_data(request.form, optional=("unit",))))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return _render_case(
            _case_or_404(case_id),
            errors=field_errors(exc),
            values=request.form.to_dict(),
            failed=form,
            status=exc.status,
        )
    flash(f"{done}。", "success")
    return redirect(url_for("web_supervision.show_case", case_id=case.id), 303)


@bp.post("/supervision/cases/<case_id>/notices/<notice_id>/response")
@role_required(permissions.can_list_cases)
def respond(case_id, notice_id):
    case = _case_or_404(case_id)
    notice = queries.get_visible_notice(current_user, case, path_id(notice_id, "notice", "整改通知"))
    try:
        if not permissions.can_respond(current_user, notice):
            raise _forbidden()
        data = validate(schemas.ResponseIn, form_data(request.form))
        services.respond_to_notice(notice, actor=current_user, now=clock.now(), response=data.response)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message_zh, "error")
        return _render_case(
            _case_or_404(case_id),
            errors=field_errors(exc),
            values=request.form.to_dict(),
            failed=f"response-{notice_id}",
            status=exc.status,
        )
    flash("已反馈整改情况。", "success")
    return redirect(url_for("web_supervision.show_case", case_id=case.id), 303)


@bp.get("/supervision/cards")
@role_required(permissions.can_list_cards)
def list_cards():
    params = filters(schemas.CardListQuery, request.args)
    if params is None:
        return redirect(url_for("web_supervision.list_cards"))
    page = queries.list_cards(
        current_user,
        unit_id=_unit_id(params.unit),
        color=params.color,
        page=params.page,
        per_page=params.per_page,
        count_limit=queries.COUNT_LIMIT,
    )
    # Cards per unit: what the monthly report names.
    totals = (
        select(Unit.code, Unit.name, Card.color, func.count())
        .join(Unit, Unit.id == Card.unit_id)
        .where(Card.voided_at.is_(None))  # voided cards are listed, never counted
    )
    if current_user.is_unit_staff:
        totals = totals.where(Card.unit_id == current_user.unit_id)
    by_unit: dict[str, dict] = {}
    for code, name, color, count in db.session.execute(totals.group_by(Unit.code, Unit.name, Card.color)):
        by_unit.setdefault(code, {"name": name, "yellow": 0, "red": 0})[color] = count
    return render_template(
        "supervision/cards.html",
        page=page,
        rows=[schemas.card_out(c) for c in page.items],
        params=params,
        by_unit=sorted(by_unit.items(), key=lambda kv: -(kv[1]["red"] * 100 + kv[1]["yellow"])),
        colors={k.value: v for k, v in CARD_LABELS.items()},
        units=unit_queries.list_units(),
    )


@bp.get("/notifications")
@role_required(outbox_permissions.can_view_outbox)
def outbox():
    params = filters(outbox_schemas.OutboxQuery, request.args)
    if params is None:
        return redirect(url_for("web_supervision.outbox"))
    ticket_id = None
    if params.ticket:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == params.ticket)) or -1
    page = outbox_queries.outbox(
        ticket_id=ticket_id, status=params.status, template=params.template, page=params.page, per_page=params.per_page
    )
    return render_template(
        "supervision/outbox.html",
        page=page,
        rows=[outbox_schemas.notification_out(n) for n in page.items],
        recipients=_recipient_names(page.items),
        params=params,
    )


def _recipient_names(notifications) -> dict[int, str]:
    """Each message's recipient by name (the unit's name, the person's display name), not
    by the code or username the outbox row keeps."""
    unit_ids = {n.recipient_id for n in notifications if n.recipient_type in ("unit", "unit_head") and n.recipient_id}
    user_ids = {n.recipient_id for n in notifications if n.recipient_type == "user" and n.recipient_id}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    names = {}
    for n in notifications:
        if n.recipient_type == "unit" and n.recipient_id in units:
            names[n.id] = units[n.recipient_id].name
        elif n.recipient_type == "unit_head" and n.recipient_id in units:
            names[n.id] = f"{units[n.recipient_id].name} 负责人"
        elif n.recipient_type == "user" and n.recipient_id in users:
            names[n.id] = users[n.recipient_id].display_name
        elif n.recipient_type == "citizen":
            names[n.id] = "来电人"
    return names
