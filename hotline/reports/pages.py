"""The reports pages (考核报表): the figures table, one unit's figures, the tickets behind a
figure, and the exemptions (考核免责) list where supervisors decide."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..api.ids import path_id
from ..categories.models import Category
from ..core import clock
from ..core.errors import DomainError, Forbidden, InvalidInput, NotFound
from ..core.validation import validate
from ..extensions import db
from ..tickets import queries as ticket_queries
from ..tickets.schemas import LABELS as TICKET_LABELS
from ..units import queries as unit_queries
from ..web.helpers import field_errors, form_data, role_required
from . import definitions, drill, figures, permissions, queries, schemas, scores, services
from .models import EXEMPTION_STATUS_LABELS
from .schemas import LEVEL_CHOICES, arg, page_args, parse_filters
from .views import drill_item, drill_request

bp = Blueprint("reports_pages", __name__)

# The columns of the figures table: (key, kind) — kind "count" links to the figure's
# tickets, "rate" to its numerator (the title shows numerator/denominator).
COLUMNS = [
    ("received", "count"),
    ("accepted_on_time_rate", "rate"),
    ("replied_on_time_rate", "rate"),
    ("early_rate", "rate"),
    ("reply_overdue", "count"),
    ("still_open", "count"),
    ("returned", "count"),
    ("extensions", "count"),
    ("satisfaction_rate", "rate"),
    ("resolution_rate", "rate"),
    ("reopened", "count"),
    ("yellow_cards", "count"),
    ("red_cards", "count"),
    ("exempted", "count"),
]
SHORT = {
    "received": "接收",
    "accepted_on_time_rate": "签收及时率",
    "replied_on_time_rate": "按期办结率",
    "early_rate": "提前办结率",
    "reply_overdue": "超期",
    "still_open": "在办",
    "returned": "退单",
    "extensions": "延期",
    "satisfaction_rate": "满意率",
    "resolution_rate": "解决率",
    "reopened": "重办",
    "yellow_cards": "黄牌",
    "red_cards": "红牌",
    "exempted": "免责",
}
LEVEL_ORDER = ("city", "district", "town")


def _choices() -> dict:
    categories = db.session.scalars(db.select(Category).order_by(Category.code)).all()
    areas = [u for u in unit_queries.list_units() if u.level in ("district", "town")]
    return {
        "levels": LEVEL_CHOICES,
        "categories": categories,
        "areas": areas,
        "channel_labels": TICKET_LABELS["channel"],
        "type_labels": TICKET_LABELS["request_type"],
    }


def _render(template: str, *, status: int = 200, **context):
    context.setdefault("error", None)
    return render_template(template, defs=definitions.DEFINITIONS, short=SHORT, **_choices(), **context), status


def _bad_filters(template: str, exc: DomainError, **context):
    """Bad filters: the page again, empty, with the message beside the field (400)."""
    db.session.rollback()
    return _render(template, status=exc.status, error=exc, errors=field_errors(exc), args=request.args, **context)


def _drill_url(filters, figure: str, part: str = "numerator", unit: str | None = None) -> str:
    args = filters.query_args(figure=figure, part=part if part != "numerator" else None)
    if unit is not None:
        args["unit"] = unit
        args.pop("level", None)
    return url_for("reports_pages.tickets", **args)


@bp.get("/reports", endpoint="figures")
@role_required(permissions.can_view_some_figures)
def figures_page():
    if not permissions.can_view_all_figures(current_user):
        return redirect(url_for("reports_pages.unit_page", code=current_user.unit.code, **request.args))
    now = clock.now()
    try:
        filters = parse_filters(request.args, user=current_user, now=now)
    except DomainError as exc:
        return _bad_filters("reports/figures.html", exc, filters=None, groups=[], centre=None, columns=COLUMNS)
    report = queries.figures_report(filters, now=now, with_total=True)
    centre = figures.centre_figures(
        filters.period, now=now, category_id=filters.category_id, area_unit_id=filters.area_unit_id
    )
    groups = [
        (level, LEVEL_CHOICES[level], [r for r in report["units"] if r["level"] == level])
        for level in LEVEL_ORDER
        if filters.level in (None, level)
    ]
    return _render(
        "reports/figures.html",
        filters=filters,
        args=request.args,
        errors={},
        groups=[g for g in groups if g[2]],
        total=report["total"],
        scheme=report["scheme"],
        centre=centre,
        columns=COLUMNS,
        rates=figures.UNIT_RATES,
        drill_url=_drill_url,
    )


@bp.get("/reports/units/<code>")
@role_required(permissions.can_view_some_figures)
def unit_page(code):
    unit = unit_queries.get_by_code(code) if "\x00" not in code else None
    if unit is None or not permissions.can_view_unit_figures(current_user, unit):
        raise NotFound(f"No unit {code}.", message_zh="单位不存在或无权查看。")
    now = clock.now()
    args = request.args.copy()
    args["unit"] = unit.code
    try:
        filters = parse_filters(args, user=current_user, now=now)
    except DomainError as exc:
        return _bad_filters("reports/unit.html", exc, unit=unit, filters=None, row=None)
    report = queries.figures_report(filters, now=now)
    row = report["units"][0]
    return _render(
        "reports/unit.html",
        unit=unit,
        filters=filters,
        args=request.args,
        errors={},
        row=row,
        scheme=report["scheme"],
        rank_group=scores.RANK_GROUP_LABELS[row["rank_group"]],
        counts=[k for k in figures.UNIT_FIGURES],
        rates=figures.UNIT_RATES,
        drill_url=_drill_url,
    )


@bp.get("/reports/tickets")
@role_required(permissions.can_view_some_figures)
def tickets():
    try:
        filters, figure, part, page, per_page, now = drill_request(request.args, current_user)
        found = queries.drill_page(filters, figure, part, now=now, page=page, per_page=per_page)
    except DomainError as exc:
        if isinstance(exc, Forbidden | NotFound):
            raise
        return _bad_filters("reports/tickets.html", exc, filters=None, found=None, figure=None)
    key = drill.resolve(figure, part)[0]
    rate_name = figure if figure in figures.UNIT_RATES or figure in figures.CENTRE_RATES else None
    return _render(
        "reports/tickets.html",
        filters=filters,
        args=request.args,
        errors={},
        figure=figure,
        part=part,
        key=key,
        rate_name=rate_name,
        found=found,
        rows=[drill_item(t) for t in found.items],
        page_url=lambda p: url_for("reports_pages.tickets", **(request.args.to_dict() | {"page": p})),
        part_url=lambda q: url_for("reports_pages.tickets", **(request.args.to_dict() | {"part": q, "page": 1})),
    )


@bp.get("/reports/exemptions")
@role_required(permissions.can_list_exemptions)
def exemptions():
    try:
        status = arg(request.args, "status")
        if status is not None and status not in EXEMPTION_STATUS_LABELS:
            raise InvalidInput("Unknown status.", message_zh="状态不正确。", field="status")
        page, per_page = page_args(request.args)
    except DomainError as exc:
        flash(f"筛选条件有误：{exc.message_zh}", "error")
        return redirect(url_for("reports_pages.exemptions"))
    found = queries.list_exemptions(current_user, status=status, page=page, per_page=per_page)
    return _render(
        "reports/exemptions.html",
        found=found,
        rows=[schemas.exemption_out(x) for x in found.items],
        status=status,
        statuses={k.value: v for k, v in EXEMPTION_STATUS_LABELS.items()},
        can_decide=permissions.can_decide_exemption(current_user),
        page_url=lambda p: url_for("reports_pages.exemptions", **(request.args.to_dict() | {"page": p})),
    )


@bp.post("/reports/exemptions")
@role_required(permissions.is_unit_staff)
def request_exemption():
    """From the ticket's page: the lead unit's staff ask for an exemption."""
    try:
        data = validate(schemas.ExemptionIn, form_data(request.form))
    except DomainError as exc:
        flash(f"免责申请未提交：{exc.message_zh}", "error")
        number = request.form.get("ticket", "")
        if number and "\x00" not in number and len(number) <= 32:
            ticket = ticket_queries.get_visible(current_user, number)
            return redirect(url_for("web_tickets.show_ticket", number=ticket.number) + "#exemption", 303)
        return redirect(url_for("reports_pages.exemptions"), 303)
    ticket = ticket_queries.get_visible(current_user, data.ticket)
    try:
        services.request_exemption(ticket, actor=current_user, now=clock.now(), reason_code=data.reason, note=data.note)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(f"免责申请未提交：{exc.message_zh}", "error")
        return redirect(url_for("web_tickets.show_ticket", number=ticket.number) + "#exemption", 303)
    flash("已提交考核免责申请，等待督办人员审核。", "success")
    return redirect(url_for("web_tickets.show_ticket", number=ticket.number) + "#exemption", 303)


@bp.post("/reports/exemptions/<exemption_id>/decide")
@role_required(permissions.can_list_exemptions)
def decide(exemption_id):
    exemption = queries.get_visible_exemption(current_user, path_id(exemption_id, "exemption", "免责申请"))
    try:
        if not permissions.can_decide_exemption(current_user):
            raise Forbidden("Only supervisors decide exemptions.", message_zh="只有督办人员可以审核免责申请。")
        data = validate(schemas.DecisionIn, form_data(request.form, bools=("approve",), optional=("note",)))
        services.decide_exemption(exemption, actor=current_user, now=clock.now(), approve=data.approve, note=data.note)
        db.session.commit()
    except Forbidden:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(f"审核未完成：{exc.message_zh}", "error")
        return redirect(url_for("reports_pages.exemptions") + f"#exemption-{exemption_id}", 303)
    flash("已批准免责。" if data.approve else "已驳回免责申请。", "success")
    return redirect(url_for("reports_pages.exemptions"), 303)


def exemption_panel(number: str) -> dict | None:
    """What the ticket page's exemption box shows this user (None: no box). A Jinja global."""
    if not permissions.is_unit_staff(current_user) and not permissions.can_view_all_figures(current_user):
        return None
    ticket = ticket_queries.get_visible(current_user, number)
    existing = queries.exemptions_of_ticket(current_user, ticket)
    can_request = permissions.is_unit_staff(current_user) and ticket.lead_unit_id == current_user.unit_id
    live = [x for x in existing if x.status in ("pending", "approved") and x.unit_id == current_user.unit_id]
    if not existing and not can_request:
        return None
    return {
        "requests": [schemas.exemption_out(x) for x in existing],
        "can_request": can_request and not live,
        "reasons": queries.reasons(active_only=True) if can_request and not live else [],
    }
