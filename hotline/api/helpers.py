"""Small helpers shared by the API views."""

from __future__ import annotations

from flask import jsonify, request
from pydantic import BaseModel

from ..core.validation import parse_json_body, parse_query, validate


def body(schema: type[BaseModel], *, allow_empty: bool = False):
    """The request's JSON body validated against ``schema`` (400/422 on failure)."""
    return validate(schema, parse_json_body(request.get_data(cache=True), allow_empty=allow_empty))


def query(schema: type[BaseModel]):
    return parse_query(schema, request.args)


def ok(model: BaseModel | dict, status: int = 200, headers: dict | None = None):
    payload = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    response = jsonify(payload)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def changes(data: BaseModel, *, nullable: tuple[str, ...] = ()) -> dict:
    """The fields a PATCH body set; null clears only the fields that may be empty."""
    return {
        key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None or key in nullable
    }
