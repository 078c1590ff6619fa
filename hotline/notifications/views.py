"""Notifications API: the outbox, templates, retries, units' contacts."""

from __future__ import annotations

from flask import Blueprint

from ..api.auth import actor, require, token_required
from ..api.helpers import body, changes, ok, query
from ..api.ids import path_id
from ..api.openapi import doc
from ..core import clock
from ..core.errors import InvalidInput, NotFound
from ..extensions import db
from ..tickets.models import Ticket
from ..units import queries as unit_queries
from . import permissions, queries, schemas, services, templates

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")
TAGS = ["notifications"]


@bp.get("/notifications")
@doc(
    summary="The outbox: every message, its channel, masked recipient and delivery status",
    tags=TAGS,
    query=schemas.OutboxQuery,
    response=schemas.OutboxPageOut,
    roles="supervisor, admin",
)
@token_required
def outbox():
    user = actor()
    require(permissions.can_view_outbox(user), "Only supervisors and admins see the outbox.", "无权查看消息记录。")
    params = query(schemas.OutboxQuery)
    ticket_id = None
    if params.ticket:
        ticket_id = db.session.scalar(db.select(Ticket.id).where(Ticket.number == params.ticket))
        if ticket_id is None:
            raise InvalidInput(f"No ticket {params.ticket}.", message_zh="工单不存在。", field="ticket")
    page = queries.outbox(
        ticket_id=ticket_id, status=params.status, template=params.template, page=params.page, per_page=params.per_page
    )
    return ok(
        schemas.OutboxPageOut(
            items=[schemas.notification_out(n) for n in page.items],
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
        )
    )


@bp.post("/notifications/<notification_id>/retry")
@doc(summary="Send a failed message again", tags=TAGS, response=schemas.NotificationOut, roles="admin")
@token_required
def retry(notification_id):
    user = actor()
    require(permissions.can_retry(user), "Only admins retry messages.", "只有系统管理员可以重发消息。")
    notification_id = path_id(notification_id, "notification", "消息")
    notification = queries.get(notification_id)
    if notification is None:
        raise NotFound(f"No notification {notification_id}.", message_zh="消息不存在。")
    services.retry(notification, actor=user, now=clock.now())
    db.session.commit()
    return ok(schemas.notification_out(queries.get(notification_id)))


@bp.get("/notification-templates")
@doc(
    summary="Message templates with their placeholders",
    tags=TAGS,
    response=schemas.TemplateListOut,
    roles="admin",
)
@token_required
def list_templates():
    user = actor()
    require(permissions.can_manage_templates(user), "Only admins manage templates.", "只有系统管理员可以管理模板。")
    return ok(schemas.TemplateListOut(items=[schemas.template_out(t) for t in services.list_templates()]))


@bp.patch("/notification-templates/<code>")
@doc(
    summary="Change a template's channel, subject or body (only its own placeholders)",
    tags=TAGS,
    body=schemas.TemplateUpdateIn,
    response=schemas.TemplateOut,
    roles="admin",
)
@token_required
def update_template(code):
    user = actor()
    require(permissions.can_manage_templates(user), "Only admins manage templates.", "只有系统管理员可以管理模板。")
    if code not in templates.DEFAULTS:
        raise NotFound(f"No template {code}.", message_zh="模板不存在。")
    data = body(schemas.TemplateUpdateIn)
    template = services.update_template(code, actor=user, now=clock.now(), changes=changes(data))
    db.session.commit()
    return ok(schemas.template_out(template))


@bp.get("/unit-contacts/<code>")
@doc(
    summary="Where a unit's messages go, and its head (负责人)",
    tags=TAGS,
    response=schemas.UnitContactsOut,
    roles="admin",
)
@token_required
def get_unit_contacts(code):
    user = actor()
    require(
        permissions.can_manage_unit_contacts(user), "Only admins manage contacts.", "只有系统管理员可以管理联系方式。"
    )
    return ok(schemas.unit_contacts_out(_unit_or_404(code)))


@bp.patch("/unit-contacts/<code>")
@doc(
    summary="Set a unit's notification phone and e-mail, and its head's name and phone",
    tags=TAGS,
    body=schemas.UnitContactsIn,
    response=schemas.UnitContactsOut,
    roles="admin",
)
@token_required
def set_unit_contacts(code):
    user = actor()
    require(
        permissions.can_manage_unit_contacts(user), "Only admins manage contacts.", "只有系统管理员可以管理联系方式。"
    )
    unit = _unit_or_404(code)
    data = body(schemas.UnitContactsIn)
    services.set_unit_contacts(
        unit, actor=user, now=clock.now(), changes=changes(data, nullable=services.CONTACT_FIELDS)
    )
    db.session.commit()
    return ok(schemas.unit_contacts_out(unit))


def _unit_or_404(code):
    unit = unit_queries.get_by_code(code)
    if unit is None:
        raise NotFound(f"No unit {code}.", message_zh="单位不存在。")
    return unit
