"""Dispatch suggestions on the pages: the JSON the intake form's script asks as the operator
types (/ui/dispatch/suggest), and the list shown on the dispatcher's ticket page."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..core.errors import InvalidInput
from ..core.validation import validate
from ..routing import permissions, schemas, services
from .helpers import form_data, role_required

bp = Blueprint("web_dispatch", __name__)

SOURCE_LABELS = {"history": "历史学习", "catalogue": "派单目录", "history+catalogue": "历史学习、派单目录"}


@bp.post("/ui/dispatch/suggest")
@role_required(permissions.can_suggest)
def suggest():
    """Categories and lead units for the ticket being typed (read-only; the text is POSTed:
    a ticket's content may have 5,000 characters)."""
    try:
        data = validate(schemas.SuggestIn, form_data(request.form, optional=("area", "category")))
        found = services.suggest(
            data.content, area=services.check_area(data.area), category=services.check_category(data.category)
        )
    except InvalidInput as exc:
        return jsonify({"error": exc.to_dict()}), exc.status
    payload = schemas.suggest_out(found).model_dump(mode="json")
    for unit in payload["units"]:
        unit["source_label"] = SOURCE_LABELS.get(unit["source"], unit["source"])
    return jsonify(payload)


def for_ticket(ticket, user) -> dict | None:
    """What the dispatcher's page proposes for a ticket: the catalogue's answer first (its rule
    and basis, preselected in the form), then the lead units ranked."""
    if not permissions.can_suggest(user):
        return None
    found = services.suggest(
        ticket.content,
        area=ticket.area_unit.code if ticket.area_unit is not None else None,
        category=ticket.category.code if ticket.category is not None else None,
    )
    answer = found.catalogue
    return {
        "catalogue": None
        if answer is None
        else {
            "lead_unit": answer.lead_unit,
            "lead_unit_name": answer.lead_unit_name,
            "assist_units": list(answer.assist_units),
            "basis": answer.basis,
        },
        "units": [
            {"code": u.code, "name": u.name, "percent": round(u.score * 100), "source": SOURCE_LABELS[u.source]}
            for u in found.units
        ],
    }
