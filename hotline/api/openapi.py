"""The OpenAPI document, built from the routes and the pydantic schemas they declare.

Each API view is decorated with :func:`doc`; the document walks the app's URL map (every
route of a blueprint registered with ``wiring.register_api``, whatever its prefix), so a
route that exists is always listed (and a test checks each one is documented). A route
needs a bearer token unless it is declared ``@public``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..core.wiring import PUBLIC, access_of, is_api

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def doc(
    *,
    summary: str,
    tags: list[str] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    roles: str | None = None,
    description: str | None = None,
):
    def decorate(view):
        view.__hotline_doc__ = {
            "summary": summary,
            "tags": tags or [],
            "body": body,
            "query": query,
            "response": response,
            "status": status,
            "roles": roles,
            "description": description,
        }
        return view

    return decorate


def _error_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "message_zh": {"type": "string"},
                    "field": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    }


def build(app: Flask) -> dict[str, Any]:
    entries, models = _documented_rules(app)
    _, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = dict(defs.get("$defs", {}))
    schemas["Error"] = _error_schema()

    paths: dict[str, dict] = {}
    for rule, meta in sorted(entries, key=lambda e: e[0].rule):
        path = _PARAM.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, meta, method)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "12345 hotline ticketing API",
            "version": "1",
            "description": "Tickets, units, callers and categories of the 12345 government service hotline. "
            "Authenticate with POST /api/v1/auth/token, then send Authorization: Bearer <token>. "
            'Errors are {"error": {"code", "message", "field"?}}.',
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


_UNDOCUMENTED = {
    "tags": [],
    "body": None,
    "query": None,
    "response": None,
    "status": 200,
    "roles": None,
    "description": None,
}

_ERROR_RESPONSES = (
    ("400", "Malformed request"),
    ("401", "Not signed in"),
    ("403", "Not allowed"),
    ("404", "Not found"),
    ("409", "Conflict with the current state"),
    ("413", "Body too large"),
    ("422", "Invalid field"),
    ("429", "Too many failed sign-ins from this client or on this account: wait Retry-After seconds"),
)


def _documented_rules(app: Flask) -> tuple[list, set[type[BaseModel]]]:
    """The API's URL rules with their ``@doc`` metadata, and the models they name."""
    models: set[type[BaseModel]] = set()
    entries = []
    for rule in app.url_map.iter_rules():
        if not is_api(app, rule.endpoint):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "__hotline_doc__", None) or {"summary": rule.endpoint, **_UNDOCUMENTED}
        for key in ("body", "query", "response"):
            if meta[key] is not None:
                models.add(meta[key])
        entries.append((rule, {**meta, "auth": access_of(app, rule.endpoint) != PUBLIC}))
    return entries, models


def _ref(model) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _operation(rule, meta: dict, method: str) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "operationId": f"{rule.endpoint}.{method.lower()}"}
    if meta["tags"]:
        op["tags"] = meta["tags"]
    description = meta["description"] or ""
    if meta["roles"]:
        description = (description + "\n\n" if description else "") + f"Who: {meta['roles']}."
    if description:
        op["description"] = description
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in rule.arguments]
    if meta["query"] is not None:
        for name, field in meta["query"].model_fields.items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": field.is_required(),
                    "description": field.description or "",
                    "schema": {},
                }
            )
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": _ref(meta["body"])}
    if params:
        op["parameters"] = params
    ok: dict[str, Any] = {"description": "OK"}
    if meta["response"] is not None:
        ok["content"] = _ref(meta["response"])
    responses = {str(meta["status"]): ok}
    for code, text in _ERROR_RESPONSES:
        responses[code] = {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    op["responses"] = responses
    if meta["auth"]:
        op["security"] = [{"bearer": []}]
    return op
