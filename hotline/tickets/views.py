"""Ticket API: /api/v1/tickets (callers' history: caller_views.py)."""

from __future__ import annotations

import re

from flask import Blueprint, request, url_for

from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok, query
from ..api.openapi import doc
from ..core import clock
from ..core.errors import BadRequest, InvalidInput, NotFound
from ..extensions import db
from ..sla import services as deadlines
from ..units import queries as unit_queries
from . import permissions, queries, schemas, services
from .states import Action

bp = Blueprint("tickets_api", __name__, url_prefix="/api/v1")

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
TAGS = ["tickets"]


def detail(ticket, viewer, *, recorded=None):
    """Everything about one ticket that ``viewer`` may see (the API and the web page).

    ``recorded``: the events of a ticket recorded in this very transaction. Such a ticket
    has no other events, and no replies, callbacks, extension requests, duplicates or
    deadlines yet, so nothing is queried.
    """
    fresh = bool(recorded)
    return schemas.ticket_detail_out(
        ticket,
        viewer,
        clock.now(),
        events=recorded if fresh else queries.events(ticket),
        replies=[] if fresh else queries.replies(ticket),
        callbacks=[] if fresh else queries.callbacks(ticket),
        extensions=[] if fresh else queries.extension_requests(ticket),
        duplicates=[] if fresh else queries.duplicate_numbers(ticket),
        deadlines=[] if fresh else deadlines.for_ticket(ticket.id),
    )


@bp.post("/tickets")
@doc(
    summary="Record a ticket (登记工单)",
    tags=TAGS,
    body=schemas.TicketCreateIn,
    response=schemas.TicketDetailOut,
    status=201,
    roles="operator",
    description="Send an Idempotency-Key header to make retries safe: the same key and body return the same "
    "ticket (with Idempotent-Replayed: true); the same key with another body is refused (422).",
)
@token_required
def create_ticket():
    user = actor()
    require(permissions.can_create(user), "Only operators record tickets.", "只有话务员可以登记工单。")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise BadRequest(
            "Idempotency-Key must be 1–255 visible ASCII characters.",
            message_zh="幂等键格式不正确。",
            field="Idempotency-Key",
            code="invalid_idempotency_key",
        )
    data = body(schemas.TicketCreateIn)
    ticket, recorded = services.create(
        actor=user, data=services.NewTicket(**data.model_dump()), now=clock.now(), idempotency_key=key
    )
    # The response is built inside the transaction, from the objects just written: after the
    # commit they would be expired and read back (about ten more statements per intake).
    payload = detail(ticket, user, recorded=recorded)
    headers = {"Location": url_for("tickets_api.get_ticket", number=ticket.number)}
    db.session.commit()
    if not recorded:
        headers["Idempotent-Replayed"] = "true"
    return ok(payload, 201, headers)


@bp.get("/tickets")
@doc(
    summary="List tickets (paginated, only those you may see)",
    tags=TAGS,
    query=schemas.TicketListQuery,
    response=schemas.TicketPageOut,
    roles="operator, dispatcher, supervisor, admin: all; unit staff: own unit",
)
@token_required
def list_tickets():
    user = actor()
    require(permissions.can_list_tickets(user), "Your role does not work with tickets.", "您的角色无权查看工单。")
    params = query(schemas.TicketListQuery)
    unit_id = None
    if params.unit:
        unit = unit_queries.get_by_code(params.unit)
        if unit is None:
            raise InvalidInput(f"Unknown unit {params.unit!r}.", message_zh="单位不存在。", field="unit")
        unit_id = unit.id
    page = queries.search(
        user,
        status=params.status,
        unit_id=unit_id,
        request_type=params.type,
        q=params.q,
        page=params.page,
        per_page=params.per_page,
    )
    now = clock.now()
    return ok(
        schemas.TicketPageOut(
            items=[schemas.ticket_out(t, user, now) for t in page.items],
            page=page.page,
            per_page=page.per_page,
            total=page.total,
            pages=page.pages,
        )
    )


@bp.get("/tickets/<number>")
@doc(
    summary="One ticket with its events, replies, callbacks and extension requests",
    tags=TAGS,
    response=schemas.TicketDetailOut,
    roles="as for the list; another unit's ticket is 404",
)
@token_required
def get_ticket(number):
    user = actor()
    require(permissions.can_list_tickets(user), "Your role does not work with tickets.", "您的角色无权查看工单。")
    ticket = queries.get_visible(user, number)
    return ok(detail(ticket, user))


# --- actions --------------------------------------------------------------------------


def _answer(ticket, user, now, data: schemas.AnswerIn):
    services.answer(ticket, actor=user, now=now, article_id=data.article_id, answer_text=data.answer)


def _submit(ticket, user, now, data: schemas.EmptyIn):
    services.submit(ticket, actor=user, now=now, note=data.note)


def _dispatch(ticket, user, now, data: schemas.DispatchIn):
    services.dispatch(
        ticket, actor=user, now=now, lead_unit=data.lead_unit, assist_units=data.assist_units, note=data.note
    )


def _accept(ticket, user, now, data: schemas.EmptyIn):
    services.accept(ticket, actor=user, now=now, note=data.note)


def _return(ticket, user, now, data: schemas.ReturnIn):
    services.return_ticket(ticket, actor=user, now=now, reason=data.reason)


def _reply(ticket, user, now, data: schemas.ReplyIn):
    from ..routing import reply_rules  # the reply check (routing imports tickets)

    result = reply_rules.enforce(ticket, data.content, confirm=data.confirm_warnings)
    services.reply(ticket, actor=user, now=now, content=data.content, check_result=result)


def _request_extension(ticket, user, now, data: schemas.ExtensionIn):
    services.request_extension(ticket, actor=user, now=now, hours=data.hours, reason=data.reason)


def _decide_extension(ticket, user, now, data: schemas.DecideExtensionIn):
    services.decide_extension(ticket, actor=user, now=now, approve=data.approve, note=data.note)


def _callback(ticket, user, now, data: schemas.CallbackIn):
    services.callback(
        ticket, actor=user, now=now, satisfaction=data.satisfaction, resolved=data.resolved, note=data.note
    )


def _merge(ticket, user, now, data: schemas.MergeIn):
    services.merge(ticket, actor=user, now=now, into=data.into)


def _urge(ticket, user, now, data: schemas.NoteIn):
    services.urge(ticket, actor=user, now=now, note=data.note)


def _supervise(ticket, user, now, data: schemas.NoteIn):
    services.supervise(ticket, actor=user, now=now, note=data.note)


def _note(ticket, user, now, data: schemas.NoteIn):
    services.add_note(ticket, actor=user, now=now, note=data.note)


# action → (body schema, handler, body may be empty, summary, who)
ACTIONS = {
    Action.ANSWER: (schemas.AnswerIn, _answer, False, "Answer on the call and close (直接答复)", "operator"),
    Action.SUBMIT: (schemas.EmptyIn, _submit, True, "Submit for dispatch (提交派单)", "operator"),
    Action.DISPATCH: (
        schemas.DispatchIn,
        _dispatch,
        False,
        "Dispatch to a lead unit and assisting units (派单)",
        "dispatcher, operator",
    ),
    Action.ACCEPT: (schemas.EmptyIn, _accept, True, "Accept (签收)", "staff of the lead unit"),
    Action.RETURN: (schemas.ReturnIn, _return, False, "Return a misrouted ticket (退单)", "staff of the lead unit"),
    Action.REPLY: (schemas.ReplyIn, _reply, False, "Reply (答复)", "staff of the lead unit"),
    Action.REQUEST_EXTENSION: (
        schemas.ExtensionIn,
        _request_extension,
        False,
        "Ask for more time (延期申请)",
        "staff of the lead unit",
    ),
    Action.DECIDE_EXTENSION: (
        schemas.DecideExtensionIn,
        _decide_extension,
        False,
        "Approve or refuse the pending extension (延期审批)",
        "supervisor",
    ),
    Action.CALLBACK: (
        schemas.CallbackIn,
        _callback,
        False,
        "Record the callback (回访); dissatisfied reopens to the same unit",
        "operator",
    ),
    Action.MERGE: (
        schemas.MergeIn,
        _merge,
        False,
        "Merge a duplicate into another ticket (合并)",
        "operator, dispatcher",
    ),
    Action.URGE: (schemas.NoteIn, _urge, False, "Urge the unit (催办)", "supervisor"),
    Action.SUPERVISE: (schemas.NoteIn, _supervise, False, "Formal supervision order (督办)", "supervisor"),
    Action.NOTE: (
        schemas.NoteIn,
        _note,
        False,
        "Add a note",
        "operator, dispatcher, supervisor, lead and assisting units' staff",
    ),
}


def _make_action_view(action: Action):
    schema, handler, allow_empty, summary, roles = ACTIONS[action]

    @doc(
        summary=summary,
        tags=TAGS,
        body=schema,
        response=schemas.TicketDetailOut,
        roles=roles,
        body_required=not allow_empty,
    )
    @token_required
    def view(number):
        user = actor()
        require(permissions.can_list_tickets(user), "Your role does not work with tickets.", "您的角色无权查看工单。")
        ticket = queries.get_visible(user, number)
        # Who and when are checked before the body, so a refused user learns nothing more.
        services.check(ticket, action, user)
        data = body(schema, allow_empty=allow_empty)
        handler(ticket, user, clock.now(), data)
        payload = detail(ticket, user)  # before the commit, which would expire what it reads
        db.session.commit()
        return ok(payload)

    view.__name__ = f"action_{action.value.replace('-', '_')}"
    return view


for _action in ACTIONS:
    bp.add_url_rule(f"/tickets/<number>/{_action.value}", view_func=_make_action_view(_action), methods=["POST"])


@bp.post("/tickets/<number>/<action>")
@doc(summary="Unknown action: answers 404 unknown_action", tags=TAGS)
@token_required
def unknown_action(number, action):
    raise NotFound(
        f"Unknown action {action!r}; one of {', '.join(a.value for a in ACTIONS)}.",
        message_zh="不支持的操作。",
        code="unknown_action",
        field="action",
    )
