"""Dispatch API: suggestions (POST /api/v1/dispatch/suggest), probable duplicates, the group
dispatch of duplicates and the reply check."""

from __future__ import annotations

from flask import Blueprint, make_response

from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok
from ..api.openapi import doc
from ..core import clock
from ..extensions import db
from ..tickets import permissions as ticket_permissions
from ..tickets import queries as ticket_queries
from . import duplicates, group_dispatch, permissions, reply_rules, schemas, services

bp = Blueprint("routing_api", __name__, url_prefix="/api/v1")


@bp.post("/dispatch/suggest")
@doc(
    summary="Suggest the category and lead unit of a ticket (派单建议)",
    tags=["dispatch"],
    body=schemas.SuggestIn,
    response=schemas.SuggestOut,
    roles="operator, dispatcher, supervisor",
    description="Categories and lead units, best first, each with a score in 0..1, learned from the centre's "
    "closed tickets (a ticket its lead unit kept teaches; a return counts against the unit that returned it), "
    "with the catalogue's answer (the category's default lead unit) among the units: `source` says which. A "
    "centre with no history gets the catalogue alone. `category`, optional, is the one the operator chose.",
)
@token_required
def suggest():
    require(
        permissions.can_suggest(actor()),
        "Only operators, dispatchers and supervisors ask for dispatch suggestions.",
        "只有话务员、派单员和督办人员可以查看派单建议。",
    )
    data = body(schemas.SuggestIn)
    found = services.suggest(
        data.content, area=services.check_area(data.area), category=services.check_category(data.category)
    )
    return ok(schemas.suggest_out(found))


@bp.route("/tickets/<number>/similar", methods=["GET"], provide_automatic_options=False)
@doc(
    summary="Probable duplicates of a ticket (重复件)",
    tags=["dispatch"],
    response=schemas.SimilarListOut,
    roles="anyone who may see the ticket",
    description="Open tickets of the last three days in the same area whose text is like this ticket's "
    "(cosine of character bigrams, 0..1, at least 0.3), best first, at most ten; only tickets the caller may see.",
)
@token_required
def similar(number):
    user = actor()
    ticket = _visible_ticket(user, number)
    return ok(schemas.similar_out(duplicates.similar(ticket, viewer=user, now=clock.now())))


@bp.post("/tickets/<number>/dispatch-group")
@doc(
    summary="Dispatch a group of duplicates at once (重复件一并派单)",
    tags=["dispatch"],
    body=schemas.DispatchGroupIn,
    response=schemas.DispatchGroupOut,
    roles="dispatcher",
    description="Dispatches this ticket (the group's head) and each of `members` (ticket numbers awaiting "
    "dispatch that are probable duplicates of it: same area, last three days, like words, as "
    "`GET /tickets/<number>/similar` finds) to the same `lead_unit` and `assist_units`, each through the "
    "dispatch action (each its own event and deadlines). All or nothing: a member no longer awaiting dispatch "
    "is 409 (`member_not_pending`), one that is unknown or not a duplicate of the head 422, field `members`; "
    "then nothing is dispatched.",
)
@token_required
def dispatch_group(number):
    user = actor()
    ticket = _visible_ticket(user, number)
    require(
        permissions.can_dispatch_group(user),
        "Only dispatchers dispatch a group of duplicates.",
        "只有派单员可以一并派单。",
    )
    data = body(schemas.DispatchGroupIn)
    done = group_dispatch.dispatch_group(
        ticket,
        members=data.members,
        actor=user,
        now=clock.now(),
        lead_unit=data.lead_unit,
        assist_units=data.assist_units,
        note=data.note,
    )
    payload = schemas.DispatchGroupOut(
        dispatched=[t.number for t in done], lead_unit=data.lead_unit, assist_units=data.assist_units
    )
    db.session.commit()
    return ok(payload)


@bp.post("/tickets/<number>/reply-check")
@doc(
    summary="Check a reply before it is saved (答复规范性检查)",
    tags=["tickets"],
    body=schemas.ReplyCheckIn,
    response=schemas.ReplyCheckOut,
    roles="staff of the lead unit, supervisor",
    description="What is wrong with a reply being written, nothing saved: `on_topic` (0..1, how much its words "
    "are the ticket's), `mode` (what a failed check does for this ticket's request type: `warn`, saved when "
    "the reply is sent with `confirm_warnings: true`; `block`, not saved), and `issues`, each with a `code` "
    "(placeholder, off_topic, no_salutation, no_action, no_outcome, no_contact, personal_number) and a Chinese "
    "`message`. The reply action runs the same check.",
)
@token_required
def reply_check(number):
    user = actor()
    ticket = _visible_ticket(user, number)
    require(
        permissions.can_check_reply(user, ticket),
        "Only the lead unit's staff and supervisors check replies.",
        "只有主办单位人员和督办人员可以检查答复。",
    )
    data = body(schemas.ReplyCheckIn)
    return ok(reply_rules.out(ticket, reply_rules.run(ticket, data.content)))


@bp.route("/tickets/<number>/similar", methods=["OPTIONS"], provide_automatic_options=False)
def similar_options(number):
    """The methods of this path: GET only (without this, the tickets' catch-all
    ``POST /tickets/<number>/<action>`` would be advertised here too)."""
    response = make_response("", 200)
    response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


def _visible_ticket(user, number: str):
    """The ticket as ``user`` may see it: a role that works with no tickets is a 403, a ticket
    it may not see a 404."""
    require(
        ticket_permissions.can_list_tickets(user), "Your role does not work with tickets.", "您的角色无权查看工单。"
    )
    return ticket_queries.get_visible(user, number)
