"""Every JSON endpoint, as a role that may use it, against arbitrary JSON (issue 19).

Hypothesis throws JSON values of every type, nesting far past the parser's recursion
limit, integers of thousands of digits, NaN and Infinity, invalid UTF-8 and truncated
text, and objects of the right field names with any values plus one field no schema has
(so no body here is acceptable). Each answer: never a 5xx, always a 4xx in the API's error
format, and the database exactly as it was, row for row.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from hotline.extensions import db

from .test_route_permissions import RULES, USER_OF, _prepare

pytestmark = pytest.mark.any_database

UNKNOWN = "__not_a_field__"


def _body_routes():
    """(method, rule) of every route that reads a JSON body, with its valid body's keys."""
    for (method, rule), spec in sorted(RULES.items()):
        if method in ("POST", "PATCH", "PUT") and (spec.get("body") is not None or spec.get("login")):
            yield pytest.param((method, rule), id=f"{method} {rule}")


def _role(spec) -> str | None:
    """A role that may use the route (so the body is what gets refused), None for sign-in."""
    if spec.get("login"):
        return None
    allowed = [r for r, status in spec["expected"].items() if r != "anonymous" and status < 300]
    if not allowed:  # a public route no role gets a 2xx from in the table (the lookup of a wrong pair)
        return "operator"
    return USER_OF.get(allowed[0], allowed[0])


# Examples per route (HOTLINE_FUZZ_EXAMPLES): 8 keeps the suite inside CI's budget; raise it to probe harder.
EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "8"))

# Counters of requests, which count every request by design (a refused one included).
COUNTERS = {"rate_limit_windows", "sign_in_counters"}


def _fingerprint(app) -> str:
    """A digest of every row of every table (but the request counters)."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in COUNTERS:
                continue
            rows = db.session.execute(text(f'SELECT * FROM "{table.name}"')).all()
            digest.update(table.name.encode())
            digest.update(repr(sorted(map(repr, rows))).encode())
        db.session.remove()
    return digest.hexdigest()


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "\x00", "\ud800", "²", "１２", "2026-13-45", "9" * 40, "null"])
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _encode(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def _bodies(draw, keys: list[str]):
    kind = draw(st.sampled_from(["object", "value", "deep", "number", "constant", "bytes", "cut"]))
    if kind == "object":  # the schema's own field names, any values, and one unknown field
        fields = draw(st.dictionaries(st.sampled_from(keys), _json, max_size=len(keys))) if keys else {}
        return _encode({**fields, UNKNOWN: draw(_json)})
    if kind == "value":  # any JSON that is not an object
        return _encode(draw(_json.filter(lambda v: not isinstance(v, dict))))
    if kind == "deep":
        depth = draw(st.integers(min_value=900, max_value=5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return (opener * depth + "1" + closer * depth).encode()
    if kind == "number":
        digits = draw(st.integers(min_value=4301, max_value=6000))
        key = draw(st.sampled_from(keys or ["x"]))
        return f'{{"{key}": {draw(st.sampled_from(["", "-"]))}{"7" * digits}}}'.encode()
    if kind == "constant":
        key = draw(st.sampled_from(keys or ["x"]))
        return f'{{"{key}": {draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))}}}'.encode()
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=40)) + b"\xff"
    whole = _encode({key: draw(_json) for key in keys} | {UNKNOWN: 1})
    return whole[: draw(st.integers(min_value=1, max_value=max(1, len(whole) - 1)))]


def _is_error(r) -> bool:
    body = r.get_json(silent=True)
    return (
        isinstance(body, dict)
        and isinstance(body.get("error"), dict)
        and isinstance(body["error"].get("code"), str)
        and isinstance(body["error"].get("message"), str)
    )


@pytest.mark.parametrize("route", list(_body_routes()))
def test_no_json_body_makes_a_5xx_or_a_change(world, route):
    method, _rule = route
    spec = RULES[route]
    path, valid = _prepare(world, route)
    keys = sorted(valid) if isinstance(valid, dict) else ["username", "password"]
    client = world.client(_role(spec))
    before = _fingerprint(world.app)
    seen = []

    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    @given(_bodies(keys))
    def throw(raw):
        r = client.open(method, path, data=raw, headers={"Content-Type": "application/json"})
        seen.append(r.status_code)
        assert 400 <= r.status_code < 500, (r.status_code, raw[:120], r.get_data()[:300])
        assert _is_error(r), (raw[:120], r.get_data()[:300])
        assert _fingerprint(world.app) == before, (r.status_code, raw[:120])

    throw()
    assert seen
