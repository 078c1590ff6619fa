"""The API's own routes: the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..core.wiring import public
from .openapi import doc

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
@doc(summary="This OpenAPI document", tags=["meta"], roles="anyone")
@public
def openapi():
    spec = current_app.extensions.get("hotline.openapi")
    if spec is None:
        from .openapi import build

        spec = current_app.extensions["hotline.openapi"] = build(current_app)
    return jsonify(spec)
