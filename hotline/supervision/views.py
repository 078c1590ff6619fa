"""Supervision API: /api/v1/supervision (cases, orders, notices, cards, deliveries)."""

from __future__ import annotations

from flask import Blueprint

from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok, query
from ..api.ids import path_id
from ..api.openapi import doc
from ..core import clock
from ..core.errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..tickets.models import Ticket
from ..units import queries as unit_queries
from . import connector, permissions, queries, schemas, services

bp = Blueprint("supervision_api", __name__, url_prefix="/api/v1/supervision")
TAGS = ["supervision"]
READERS = "supervisor, admin: all; unit staff: their own unit's"
_NO_ACCESS = ("Your role does not work with supervision cases.", "您的角色无权查看监察案件。")


def _unit_filter(user, code: str | None) -> int | None:
    if not code:
        return None
    unit = unit_queries.get_by_code(code)
    if unit is None:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="单位不存在。", field="unit")
    if not permissions.sees_unit(user, unit.id):
        raise Forbidden("You may see only your own unit's records.", message_zh="只能查看本单位的记录。")
    return unit.id


def detail(case, user):
    """A case with what `user` may see of its cards, orders and notices (API and web)."""
    return schemas.case_detail_out(
        case,
        cards=queries.cards_of(user, case),
        orders=queries.orders_of(user, case),
        notices=queries.notices_of(user, case),
        now=clock.now(),
    )


@bp.get("/cases")
@doc(
    summary="Supervision cases (电子监察案件)",
    tags=TAGS,
    query=schemas.CaseListQuery,
    response=schemas.CasePageOut,
    roles=READERS,
)
@token_required
def list_cases():
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    params = query(schemas.CaseListQuery)
    ticket_id = None
    if params.ticket:
        ticket_id = db.session.scalar(db.select(Ticket.id).where(Ticket.number == params.ticket))
        if ticket_id is None:
            raise InvalidInput(f"No ticket {params.ticket}.", message_zh="工单不存在。", field="ticket")
    page = queries.list_cases(
        user,
        ticket_id=ticket_id,
        unit_id=_unit_filter(user, params.unit),
        status=params.status,
        page=params.page,
        per_page=params.per_page,
    )
    return ok(
        schemas.CasePageOut(
            items=[schemas.case_out(c) for c in page.items],
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
        )
    )


@bp.post("/cases")
@doc(
    summary="Open a supervision case on any ticket",
    tags=TAGS,
    body=schemas.CaseOpenIn,
    response=schemas.CaseDetailOut,
    status=201,
    roles="supervisor",
)
@token_required
def open_case():
    user = actor()
    require(permissions.can_open_case(user), "Only supervisors open supervision cases.", "只有督办人员可以立案。")
    data = body(schemas.CaseOpenIn)
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.number == data.ticket))
    if ticket is None:
        raise InvalidInput(f"No ticket {data.ticket}.", message_zh="工单不存在。", field="ticket")
    case = services.open_case(ticket, actor=user, now=clock.now(), reason=data.reason)
    db.session.commit()
    return ok(detail(case, user), 201)


@bp.get("/cases/<case_id>")
@doc(
    summary="One case with its cards, orders and rectification notices",
    tags=TAGS,
    response=schemas.CaseDetailOut,
    roles=READERS + "; another unit's case is 404",
)
@token_required
def get_case(case_id):
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    return ok(detail(queries.get_visible_case(user, path_id(case_id, "case", "监察案件")), user))


@bp.post("/cases/<case_id>/orders")
@doc(
    summary="Urge (催办) or supervise (督办) order on the case",
    tags=TAGS,
    body=schemas.OrderIn,
    response=schemas.CaseDetailOut,
    status=201,
    roles="supervisor",
)
@token_required
def issue_order(case_id):
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    case = queries.get_visible_case(user, path_id(case_id, "case", "监察案件"))
    require(permissions.can_order(user, case), "Only supervisors issue orders.", "只有督办人员可以催办、督办。")
    data = body(schemas.OrderIn)
    services.issue_order(case, actor=user, now=clock.now(), kind=data.kind, note=data.note)
    db.session.commit()
    return ok(detail(case, user), 201)


@bp.post("/cases/<case_id>/notices")
@doc(
    summary="Issue a rectification notice (整改通知书) with a due date",
    tags=TAGS,
    body=schemas.NoticeIn,
    response=schemas.CaseDetailOut,
    status=201,
    roles="supervisor",
)
@token_required
def issue_notice(case_id):
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    case = queries.get_visible_case(user, path_id(case_id, "case", "监察案件"))
    require(
        permissions.can_issue_notice(user, case), "Only supervisors issue notices.", "只有督办人员可以下发整改通知。"
    )
    data = body(schemas.NoticeIn)
    services.issue_notice(case, actor=user, now=clock.now(), content=data.content, due_at=data.due, unit_code=data.unit)
    db.session.commit()
    return ok(detail(case, user), 201)


@bp.post("/cases/<case_id>/notices/<notice_id>/response")
@doc(
    summary="The unit's response to its rectification notice",
    tags=TAGS,
    body=schemas.ResponseIn,
    response=schemas.CaseDetailOut,
    roles="staff of the notified unit",
)
@token_required
def respond(case_id, notice_id):
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    case = queries.get_visible_case(user, path_id(case_id, "case", "监察案件"))
    notice = queries.get_visible_notice(user, case, path_id(notice_id, "notice", "整改通知"))
    require(permissions.can_respond(user, notice), "Only the notified unit responds.", "只有被通知单位可以反馈。")
    data = body(schemas.ResponseIn)
    services.respond_to_notice(notice, actor=user, now=clock.now(), response=data.response)
    db.session.commit()
    return ok(detail(case, user))


@bp.post("/cases/<case_id>/close")
@doc(
    summary="Close the case (结案) with a note",
    tags=TAGS,
    body=schemas.CloseIn,
    response=schemas.CaseDetailOut,
    roles="supervisor",
)
@token_required
def close(case_id):
    user = actor()
    require(permissions.can_list_cases(user), *_NO_ACCESS)
    case = queries.get_visible_case(user, path_id(case_id, "case", "监察案件"))
    require(permissions.can_close(user, case), "Only supervisors close cases.", "只有督办人员可以结案。")
    data = body(schemas.CloseIn)
    services.close_case(case, actor=user, now=clock.now(), note=data.note)
    db.session.commit()
    return ok(detail(case, user))


@bp.get("/cards")
@doc(
    summary="Yellow and red cards (黄牌/红牌) against units",
    tags=TAGS,
    query=schemas.CardListQuery,
    response=schemas.CardPageOut,
    roles=READERS,
)
@token_required
def list_cards():
    user = actor()
    require(permissions.can_list_cards(user), "Your role does not see cards.", "您的角色无权查看红黄牌。")
    params = query(schemas.CardListQuery)
    page = queries.list_cards(
        user, unit_id=_unit_filter(user, params.unit), color=params.color, page=params.page, per_page=params.per_page
    )
    return ok(
        schemas.CardPageOut(
            items=[schemas.card_out(c) for c in page.items],
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
        )
    )


@bp.get("/deliveries")
@doc(
    summary="Deliveries to the external e-supervision system; status=dead is the dead-letter list",
    tags=TAGS,
    query=schemas.DeliveryListQuery,
    response=schemas.DeliveryPageOut,
    roles="admin",
)
@token_required
def list_deliveries():
    user = actor()
    require(permissions.can_manage_deliveries(user), "Only admins see deliveries.", "只有系统管理员可以查看推送记录。")
    params = query(schemas.DeliveryListQuery)
    page = queries.list_deliveries(
        status=params.status, case_id=params.case, page=params.page, per_page=params.per_page
    )
    return ok(
        schemas.DeliveryPageOut(
            items=[schemas.delivery_out(d) for d in page.items],
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
        )
    )


@bp.post("/deliveries/<delivery_id>/replay")
@doc(
    summary="Replay a dead (or unsent) delivery: same body, same idempotency key",
    tags=TAGS,
    response=schemas.DeliveryOut,
    roles="admin",
)
@token_required
def replay(delivery_id):
    user = actor()
    require(permissions.can_manage_deliveries(user), "Only admins replay deliveries.", "只有系统管理员可以重放推送。")
    delivery_id = path_id(delivery_id, "delivery", "推送记录")
    delivery = queries.get_delivery(delivery_id)
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id}.", message_zh="推送记录不存在。")
    connector.replay(delivery, actor=user, now=clock.now())
    db.session.commit()
    return ok(schemas.delivery_out(queries.get_delivery(delivery_id)))
