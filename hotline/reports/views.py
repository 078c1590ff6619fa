"""The reports API: /api/v1/reports/... (figures, rankings, the tickets behind a figure,
definitions, exemptions, exemption reasons, score schemes)."""

from __future__ import annotations

from flask import Blueprint, request

from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok
from ..api.ids import path_id
from ..api.openapi import doc
from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db
from ..tickets import queries as ticket_queries
from ..tickets.models import REQUEST_TYPE_LABELS, RequestType
from ..tickets.states import STATUS_LABELS, Status
from . import definitions, drill, permissions, queries, schemas, scores, services
from .schemas import arg, page_args, parse_filters, period_out

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")
TAGS = ["reports"]
HIDDEN_KEYS = ("unit_id",)


def _row(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in HIDDEN_KEYS}


def _require_some_figures():
    require(permissions.can_view_some_figures(actor()), "Your role may not see the figures.", "您无权查看考核数据。")


def _require_all_figures():
    require(
        permissions.can_view_all_figures(actor()),
        "Only supervisors and admins see every unit's figures.",
        "只有督办人员和管理员可以查看全部单位的考核数据。",
    )


@bp.get("/figures")
@doc(
    summary="The figures per unit (考核指标), with score and rank",
    tags=TAGS,
    query=schemas.FiguresQuery,
    response=schemas.FiguresOut,
    roles="supervisor, admin; unit staff: their own unit only",
    description="Rates are fractions 0..1, or null where nothing was due. Each rate's numerator and denominator "
    "are in the row; GET /api/v1/reports/definitions says what each key means.",
)
@token_required
def get_figures():
    _require_some_figures()
    now = clock.now()
    filters = parse_filters(request.args, user=actor(), now=now)
    report = queries.figures_report(filters, now=now, with_total=permissions.can_view_all_figures(actor()))
    return ok(
        schemas.FiguresOut(
            period=period_out(filters.period),
            scheme=report["scheme"].as_dict(),
            units=[_row(r) for r in report["units"]],
            total=report["total"],
        )
    )


@bp.get("/centre")
@doc(
    summary="The centre's own figures and the volume (话务量, 直接答复率, 一次派准率)",
    tags=TAGS,
    query=schemas.FiguresQuery,
    response=schemas.CentreOut,
    roles="supervisor, admin",
)
@token_required
def get_centre():
    _require_all_figures()
    now = clock.now()
    filters = parse_filters(request.args, user=actor(), now=now)
    from .figures import centre_figures

    centre = centre_figures(filters.period, now=now, category_id=filters.category_id, area_unit_id=filters.area_unit_id)
    return ok(schemas.CentreOut(period=period_out(filters.period), centre=centre))


@bp.get("/rankings")
@doc(
    summary="The ranking by weighted score, city departments apart from districts and towns",
    tags=TAGS,
    query=schemas.RankingQuery,
    response=schemas.RankingOut,
    roles="supervisor, admin",
)
@token_required
def get_rankings():
    _require_all_figures()
    now = clock.now()
    group = arg(request.args, "group")
    if group is not None and group not in scores.RANK_GROUP_LABELS:
        raise InvalidInput("group must be city or local.", message_zh="排名分组应为市直部门或区县镇街。", field="group")
    args = request.args.copy()
    args.pop("group", None)
    filters = parse_filters(args, user=actor(), now=now)
    report = queries.ranking_report(filters, now=now)
    groups = {g: [_row(r) for r in rows] for g, rows in report["groups"].items() if group in (None, g)}
    return ok(schemas.RankingOut(period=period_out(filters.period), scheme=report["scheme"].as_dict(), groups=groups))


def drill_item(ticket) -> schemas.DrillTicketOut:
    return schemas.DrillTicketOut(
        number=ticket.number,
        status=ticket.status,
        status_label=STATUS_LABELS[Status(ticket.status)],
        request_type_label=REQUEST_TYPE_LABELS[RequestType(ticket.request_type)],
        category=ticket.category.full_name if ticket.category else None,
        area=ticket.area_unit.name if ticket.area_unit else None,
        lead_unit=ticket.lead_unit.name if ticket.lead_unit else None,
        created_at=clock.isoformat(ticket.created_at),
        reply_due_at=clock.isoformat(ticket.reply_due_at),
    )


def drill_request(args, user):
    """(filters, figure, part, page, per_page) of a drill-down request, checked for this user."""
    now = clock.now()
    figure = arg(args, "figure")
    if figure is None:
        raise InvalidInput("Give the figure.", message_zh="请指定统计指标。", field="figure")
    part = arg(args, "part") or "numerator"
    _key, _spec, centre = drill.resolve(figure, part)
    if centre:
        require(
            permissions.can_view_all_figures(user),
            "Only supervisors and admins see the centre's figures.",
            "只有督办人员和管理员可以查看中心指标。",
        )
    filters = parse_filters({k: v for k, v in args.items() if k in schemas.FILTER_FIELDS}, user=user, now=now)
    page, per_page = page_args(args)
    return filters, figure, part, page, per_page, now


@bp.get("/tickets")
@doc(
    summary="The tickets behind a figure (numerator or denominator), with the same filters",
    tags=TAGS,
    query=schemas.TicketsQuery,
    response=schemas.DrillOut,
    roles="supervisor, admin; unit staff: their own unit's figures",
    description="count equals the figure of GET /api/v1/reports/figures with the same filters. A figure counted "
    "per deadline lists a ticket once per deadline (a reopened ticket may appear twice).",
)
@token_required
def get_tickets():
    _require_some_figures()
    filters, figure, part, page, per_page, now = drill_request(request.args, actor())
    found = queries.drill_page(filters, figure, part, now=now, page=page, per_page=per_page)
    key = drill.resolve(figure, part)[0]
    return ok(
        schemas.DrillOut(
            figure=figure,
            part=part,
            label=definitions.label(key),
            period=period_out(filters.period),
            unit=filters.unit.code if filters.unit is not None else None,
            count=found.total,
            page=page,
            per_page=per_page,
            items=[drill_item(t) for t in found.items],
        )
    )


@bp.get("/definitions")
@doc(
    summary="What every figure means (the bulletin's notes)",
    tags=TAGS,
    response=schemas.DefinitionsOut,
    roles="supervisor, admin, unit staff",
)
@token_required
def get_definitions():
    _require_some_figures()
    return ok(
        schemas.DefinitionsOut(
            general=definitions.GENERAL,
            rules=list(definitions.RULES),
            items=[schemas.DefinitionOut(key=d.key, name=d.name, text=d.text) for d in definitions.notes()],
        )
    )


# --- exemptions -------------------------------------------------------------------------


@bp.get("/exemptions")
@doc(
    summary="Exemption requests (考核免责)",
    tags=TAGS,
    query=schemas.ExemptionListQuery,
    response=schemas.ExemptionListOut,
    roles="supervisor, admin; unit staff: their own unit's",
)
@token_required
def list_exemptions():
    require(permissions.can_list_exemptions(actor()), "Your role may not see exemptions.", "您无权查看免责申请。")
    status = arg(request.args, "status")
    if status is not None and status not in ("pending", "approved", "refused"):
        raise InvalidInput("Unknown status.", message_zh="状态应为待审核、已批准或未批准。", field="status")
    unit_id = None
    unit_code = arg(request.args, "unit")
    if unit_code is not None:
        from ..units import queries as unit_queries

        unit = unit_queries.get_by_code(unit_code)
        if unit is None:
            raise InvalidInput("Unknown unit.", message_zh="单位不存在。", field="unit")
        unit_id = unit.id
    page, per_page = page_args(request.args)
    found = queries.list_exemptions(
        actor(), status=status, unit_id=unit_id, ticket=arg(request.args, "ticket"), page=page, per_page=per_page
    )
    return ok(
        schemas.ExemptionListOut(
            items=[schemas.exemption_out(x) for x in found.items], total=found.total, page=page, per_page=per_page
        )
    )


@bp.post("/exemptions")
@doc(
    summary="Ask that a ticket be left out of your unit's figures",
    tags=TAGS,
    body=schemas.ExemptionIn,
    response=schemas.ExemptionOut,
    status=201,
    roles="unit staff of the ticket's lead unit",
)
@token_required
def request_exemption():
    require(
        permissions.is_unit_staff(actor()),
        "Only a unit's staff ask for exemptions.",
        "只有承办单位可以申请考核免责。",
    )
    data = body(schemas.ExemptionIn)
    ticket = ticket_queries.get_visible(actor(), data.ticket)
    exemption = services.request_exemption(
        ticket, actor=actor(), now=clock.now(), reason_code=data.reason, note=data.note
    )
    db.session.commit()
    return ok(schemas.exemption_out(exemption), 201)


@bp.get("/exemptions/<exemption_id>")
@doc(summary="One exemption request", tags=TAGS, response=schemas.ExemptionOut, roles="supervisor, admin, own unit")
@token_required
def get_exemption(exemption_id):
    require(permissions.can_list_exemptions(actor()), "Your role may not see exemptions.", "您无权查看免责申请。")
    exemption = queries.get_visible_exemption(actor(), path_id(exemption_id, "exemption", "免责申请"))
    return ok(schemas.exemption_out(exemption))


@bp.post("/exemptions/<exemption_id>/decide")
@doc(
    summary="Approve or refuse an exemption (a note is required to refuse)",
    tags=TAGS,
    body=schemas.DecisionIn,
    response=schemas.ExemptionOut,
    roles="supervisor",
)
@token_required
def decide_exemption(exemption_id):
    require(permissions.can_list_exemptions(actor()), "Your role may not see exemptions.", "您无权查看免责申请。")
    exemption = queries.get_visible_exemption(actor(), path_id(exemption_id, "exemption", "免责申请"))
    data = body(schemas.DecisionIn)
    services.decide_exemption(exemption, actor=actor(), now=clock.now(), approve=data.approve, note=data.note)
    db.session.commit()
    return ok(schemas.exemption_out(exemption))


# --- exemption reasons ------------------------------------------------------------------


def _require_manage_reasons():
    require(
        permissions.can_manage_reasons(actor()), "Only admins keep the reasons.", "只有系统管理员可以维护免责理由。"
    )


@bp.get("/exemption-reasons")
@doc(
    summary="The reasons a unit may give for an exemption",
    tags=TAGS,
    response=schemas.ReasonListOut,
    roles="supervisor, admin, unit staff",
)
@token_required
def list_reasons():
    require(permissions.can_view_reasons(actor()), "Your role may not see the reasons.", "您无权查看免责理由。")
    return ok(schemas.ReasonListOut(items=[schemas.reason_out(r) for r in queries.reasons()]))


@bp.post("/exemption-reasons")
@doc(
    summary="Add an exemption reason",
    tags=TAGS,
    body=schemas.ReasonIn,
    response=schemas.ReasonOut,
    status=201,
    roles="admin",
)
@token_required
def create_reason():
    _require_manage_reasons()
    data = body(schemas.ReasonIn)
    reason = services.create_reason(actor=actor(), now=clock.now(), values=data.model_dump())
    db.session.commit()
    return ok(schemas.reason_out(reason), 201)


@bp.patch("/exemption-reasons/<code>")
@doc(
    summary="Change an exemption reason (or deactivate it)",
    tags=TAGS,
    body=schemas.ReasonPatchIn,
    response=schemas.ReasonOut,
    roles="admin",
)
@token_required
def update_reason(code):
    _require_manage_reasons()
    reason = queries.get_reason(code)
    data = body(schemas.ReasonPatchIn)
    services.update_reason(reason, actor=actor(), now=clock.now(), changes=changes(data, nullable=("description",)))
    db.session.commit()
    return ok(schemas.reason_out(reason))


@bp.delete("/exemption-reasons/<code>")
@doc(
    summary="Delete an exemption reason no exemption gave (409 otherwise: deactivate it)",
    tags=TAGS,
    status=204,
    roles="admin",
)
@token_required
def delete_reason(code):
    _require_manage_reasons()
    services.delete_reason(queries.get_reason(code), actor=actor(), now=clock.now())
    db.session.commit()
    return "", 204


# --- score schemes ----------------------------------------------------------------------


@bp.get("/score-schemes")
@doc(
    summary="The score scheme in force, the built-in default and every version",
    tags=TAGS,
    response=schemas.SchemeListOut,
    roles="supervisor, admin, unit staff",
)
@token_required
def list_schemes():
    require(permissions.can_view_schemes(actor()), "Your role may not see the scheme.", "您无权查看考核方案。")
    return ok(
        schemas.SchemeListOut(
            active=schemas.scheme_out(scores.active_scheme(clock.now())),
            default=schemas.scheme_out(scores.DEFAULT_SCHEME),
            versions=[schemas.scheme_out(s) for s in queries.scheme_versions()],
        )
    )


@bp.post("/score-schemes")
@doc(
    summary="Save a new version of the score scheme (fields not given keep their current value)",
    tags=TAGS,
    body=schemas.SchemeIn,
    response=schemas.SchemeOut,
    status=201,
    roles="admin",
    description="The four weights must add up to 100. A period is scored with the version in force at its end.",
)
@token_required
def save_scheme():
    require(
        permissions.can_manage_schemes(actor()), "Only admins change the scheme.", "只有系统管理员可以修改考核方案。"
    )
    data = body(schemas.SchemeIn)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None and k != "note"}
    scheme = services.save_scheme(actor=actor(), now=clock.now(), values=values, note=data.note)
    db.session.commit()
    return ok(schemas.scheme_out(scheme), 201)
