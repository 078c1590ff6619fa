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
    body_required: bool = True,
    also_status: tuple[int, ...] = (),
    upload: dict[str, str] | None = None,
    produces: tuple[str, ...] = (),
):
    """Document an API view. ``body_required=False`` where an empty body is accepted (the
    view parses it with ``allow_empty=True``); ``also_status``: other success codes, with
    the same response; ``upload``: the files of a multipart/form-data body (name →
    description); ``produces``: the media types of a binary answer."""

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
            "body_required": body_required,
            "also_status": also_status,
            "upload": upload,
            "produces": produces,
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
    # Requests are described as pydantic validates them, answers as it serialises them; a
    # model used both ways gets two names, and every reference is the name pydantic gave.
    refs, defs = models_json_schema(
        sorted(models, key=lambda m: (m[0].__module__, m[0].__name__, m[1])),
        ref_template="#/components/schemas/{model}",
    )
    schemas = dict(defs.get("$defs", {}))
    schemas["Error"] = _error_schema()
    components = _Components(refs, schemas)

    paths: dict[str, dict] = {}
    for rule, meta in sorted(entries, key=lambda e: e[0].rule):
        path = _PARAM.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, meta, method, components)

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
    "body_required": True,
    "also_status": (),
    "upload": None,
    "produces": (),
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


def _documented_rules(app: Flask) -> tuple[list, set[tuple[type[BaseModel], str]]]:
    """The API's URL rules with their ``@doc`` metadata, and the models they name (with the
    mode each is documented in)."""
    models: set[tuple[type[BaseModel], str]] = set()
    entries = []
    for rule in app.url_map.iter_rules():
        if not is_api(app, rule.endpoint):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "__hotline_doc__", None) or {"summary": rule.endpoint, **_UNDOCUMENTED}
        for key, mode in (("body", "validation"), ("query", "validation"), ("response", "serialization")):
            if meta[key] is not None:
                models.add((meta[key], mode))
        entries.append((rule, {**meta, "auth": access_of(app, rule.endpoint) != PUBLIC}))
    return entries, models


class _Components:
    """The component schemas, and the reference of each model in each mode."""

    def __init__(self, refs: dict, schemas: dict):
        self.refs = refs
        self.schemas = schemas

    def content(self, model, mode: str) -> dict:
        return {"application/json": {"schema": dict(self.refs[(model, mode)])}}

    def query_parameters(self, model) -> list[dict]:
        """One parameter per field, typed as the query parser converts it (a query string
        has no null: "or null" is left out)."""
        schema = self._resolve(self.refs[(model, "validation")])
        required = set(schema.get("required", []))
        params = []
        for name, field_schema in schema.get("properties", {}).items():
            field_schema = _without_null(dict(field_schema))
            description = field_schema.pop("description", "") or ""
            field_schema.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": field_schema}
            if description:
                param["description"] = description
            params.append(param)
        return params

    def _resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema


def _without_null(schema: dict) -> dict:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            if len(options) == 1:
                return _without_null({**options[0], **{k: v for k, v in schema.items() if k != key}})
            schema[key] = options
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


# A path variable named like these is a numeric id (hotline.api.ids.path_id): anything else is a 404.
_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


# Path variables whose text has a shape of its own.
_PATH_SCHEMAS = {
    "month": {"type": "string", "pattern": r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"},
    "day": {"type": "string", "format": "date"},
}


def _path_parameter(name: str) -> dict:
    if name == "id" or name.endswith("_id"):
        schema = _ID_SCHEMA
    else:
        schema = _PATH_SCHEMAS.get(name, {"type": "string", "minLength": 1})
    return {"name": name, "in": "path", "required": True, "schema": dict(schema)}


def _operation(rule, meta: dict, method: str, components: _Components) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "operationId": f"{rule.endpoint}.{method.lower()}"}
    if meta["tags"]:
        op["tags"] = meta["tags"]
    description = meta["description"] or ""
    if meta["roles"]:
        description = (description + "\n\n" if description else "") + f"Who: {meta['roles']}."
    if description:
        op["description"] = description
    params = [_path_parameter(name) for name in sorted(rule.arguments)]
    if meta["query"] is not None:
        params.extend(components.query_parameters(meta["query"]))
    if meta["body"] is not None:
        op["requestBody"] = {
            "required": meta["body_required"],
            "content": components.content(meta["body"], "validation"),
        }
    if meta.get("upload"):
        fields = {
            name: {"type": "string", "format": "binary", "description": text} for name, text in meta["upload"].items()
        }
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": fields, "required": sorted(fields)}}
            },
        }
    if params:
        op["parameters"] = params
    ok: dict[str, Any] = {"description": "OK"}
    if meta.get("produces"):
        ok["content"] = {t: {"schema": {"type": "string", "format": "binary"}} for t in meta["produces"]}
    elif meta["response"] is not None:
        ok["content"] = components.content(meta["response"], "serialization")
    responses = {str(status): ok for status in (meta["status"], *meta["also_status"])}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code, text in _ERROR_RESPONSES:
        responses[code] = {"description": text, "content": error}
    responses["default"] = {"description": "Any other error, in the same format", "content": error}
    op["responses"] = responses
    if meta["auth"]:
        op["security"] = [{"bearer": []}]
    return op
