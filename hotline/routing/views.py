"""Dispatch suggestions API: POST /api/v1/dispatch/suggest."""

from __future__ import annotations

from flask import Blueprint

from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok
from ..api.openapi import doc
from . import permissions, schemas, services

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
