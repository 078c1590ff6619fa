"""The OpenAPI document, checked whole: whatever route is added, by whoever.

Every reference resolves; every path and query parameter has a type (or an enum); every
request body names a schema of the document; every operation describes its errors. A new
route that reads a query parameter without declaring it in a typed query model, or that
declares one with an empty schema, fails here (issue 19: 53 of 96 query parameters had no
type, and a ``$ref`` pointed at nothing).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.any_database


@pytest.fixture(scope="module")
def spec():
    import tempfile

    from hotline import create_app

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            {"HOTLINE_ENV": "testing", "SECRET_KEY": "doc", "DATABASE_URL": "sqlite://", "DATA_DIR": data_dir}
        )
        return app.test_client().get("/api/v1/openapi.json").json


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _typed(schema: dict, components: dict) -> bool:
    """Whether a parameter's schema says what values it takes."""
    if "$ref" in schema:
        return _typed(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "type" in schema or "enum" in schema or "const" in schema:
        return True
    options = schema.get("anyOf") or schema.get("oneOf")
    return bool(options) and all(_typed(o, components) for o in options)


def test_every_reference_resolves(spec):
    components = spec["components"]["schemas"]
    dangling = sorted(
        {r for r in _refs(spec) if not r.startswith("#/components/schemas/") or r.split("/")[-1] not in components}
    )
    assert dangling == []


def test_every_parameter_is_typed(spec):
    components = spec["components"]["schemas"]
    untyped = [
        f"{name}: {param['in']} {param['name']} {param.get('schema')}"
        for name, op in _operations(spec)
        for param in op.get("parameters", [])
        if not _typed(param.get("schema") or {}, components)
    ]
    assert untyped == []
    counts = [p["in"] for _, op in _operations(spec) for p in op.get("parameters", [])]
    assert counts.count("query") >= 90 and counts.count("path") >= 40  # the document is not empty


def test_integers_in_query_strings_have_a_range(spec):
    """A page number or a limit without bounds invites a 5,000-digit integer."""
    unbounded = [
        f"{name}: {param['name']}"
        for name, op in _operations(spec)
        for param in op.get("parameters", [])
        if param["schema"].get("type") == "integer"
        and ("minimum" not in param["schema"] or ("maximum" not in param["schema"] and param["in"] == "query"))
        and not param["name"].endswith(("_id", "case"))
    ]
    assert unbounded == []


def test_every_body_and_answer_is_described(spec):
    components = spec["components"]["schemas"]
    problems = []
    for name, op in _operations(spec):
        body = op.get("requestBody")
        if body is not None and "multipart/form-data" in body["content"]:  # a file upload: each part a file
            parts = body["content"]["multipart/form-data"]["schema"].get("properties") or {}
            if not parts or any(p != {**p, "type": "string", "format": "binary"} for p in parts.values()):
                problems.append(f"{name}: upload parts {parts}")
        elif body is not None:
            schema = body["content"]["application/json"]["schema"]
            if schema.get("$ref", "").split("/")[-1] not in components:
                problems.append(f"{name}: body {schema}")
            if not isinstance(body.get("required"), bool):
                problems.append(f"{name}: body without required true/false")
        for status in ("400", "401", "404", "422", "default"):
            if status == "401" and "security" not in op:
                continue
            error = op["responses"].get(status, {}).get("content", {}).get("application/json", {}).get("schema")
            if error != {"$ref": "#/components/schemas/Error"}:
                problems.append(f"{name}: {status} is not the error format")
        if not any(code.startswith("2") for code in op["responses"]):
            problems.append(f"{name}: no success answer")
    assert problems == []
