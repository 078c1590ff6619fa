"""Every API route × every role × own unit / other unit.

A route added without a row here fails test_every_route_has_a_rule.
"""

import importlib
from pathlib import Path

import pytest

from tests import route_guard
from tests.route_paths import path_for, record_cells

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

ROLES = [
    "anonymous",
    "operator",
    "dispatcher",
    "supervisor",
    "kb_editor",
    "admin",
    "staff_own",
    "staff_assist",
    "staff_other",
]
USER_OF = {"staff_own": "staff_a", "staff_assist": "staff_c", "staff_other": "staff_b"}
SIGNED_IN = [r for r in ROLES if r != "anonymous"]
TICKET_ROLES = ["operator", "dispatcher", "supervisor", "admin", "staff_own", "staff_assist"]


def _ok_for(roles, ok=200, *, refused=403, hidden=(), hidden_status=404):
    """Expected status per role: ``ok`` for ``roles``, 404 for ``hidden``, else ``refused``."""
    expected = {"anonymous": 401}
    for role in SIGNED_IN:
        if role in roles:
            expected[role] = ok
        elif role in hidden:
            expected[role] = hidden_status
        else:
            expected[role] = refused
    return expected


def _action(roles, state, body):
    # Before dispatch no unit holds the ticket: every unit's staff gets 404, as for another unit's ticket.
    hidden = (
        ("staff_other",) if state not in ("new", "pending_dispatch") else ("staff_own", "staff_assist", "staff_other")
    )
    return {"state": state, "body": body, "expected": _ok_for(roles, hidden=hidden) | {"kb_editor": 403}}


# (method, rule) → how to call it and what each role gets.
RULES = {
    ("GET", "/api/v1/openapi.json"): {"expected": {r: 200 for r in ROLES}},
    ("POST", "/api/v1/auth/token"): {"login": True, "expected": {r: 200 for r in ROLES}},
    ("DELETE", "/api/v1/auth/token"): {"expected": _ok_for(SIGNED_IN, 204)},
    ("GET", "/api/v1/auth/me"): {"expected": _ok_for(SIGNED_IN)},
    ("GET", "/api/v1/users"): {"expected": _ok_for(["admin"])},
    ("POST", "/api/v1/users"): {
        "body": {"username": "newbie", "password": "long-enough-1", "role": "operator"},
        "expected": _ok_for(["admin"], 201),
    },
    ("PATCH", "/api/v1/users/<username>"): {
        "path": {"username": "operator2"},
        "body": {"display_name": "新名字"},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/units"): {"expected": _ok_for(SIGNED_IN)},
    ("POST", "/api/v1/units"): {
        "body": {"code": "D3", "name": "南区", "level": "district", "parent": "CITY"},
        "expected": _ok_for(["admin"], 201),
    },
    ("PATCH", "/api/v1/units/<code>"): {
        "path": {"code": "D2"},
        "body": {"contact_phone": "0757-1234"},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/categories"): {"expected": _ok_for(SIGNED_IN)},
    ("POST", "/api/v1/categories"): {"body": {"code": "NEW", "name": "新分类"}, "expected": _ok_for(["admin"], 201)},
    ("PATCH", "/api/v1/categories/<code>"): {
        "path": {"code": "MISC"},
        "body": {"name": "其他事项"},
        "expected": _ok_for(["admin"]),
    },
    ("GET", "/api/v1/request-types"): {"expected": _ok_for(SIGNED_IN)},
    ("POST", "/api/v1/tickets"): {
        "body": {"caller_phone": "13800138000", "request_type": "help", "category": "MISC", "content": "求助"},
        "expected": _ok_for(["operator"], 201),
    },
    ("GET", "/api/v1/tickets"): {"expected": _ok_for([*TICKET_ROLES, "staff_other"])},
    ("GET", "/api/v1/tickets/<number>"): {
        "state": "dispatched",
        "expected": _ok_for(TICKET_ROLES, hidden=("staff_other",)),
    },
    ("POST", "/api/v1/tickets/<number>/answer"): _action(["operator"], "new", {"answer": "已答复"}),
    ("POST", "/api/v1/tickets/<number>/submit"): _action(["operator"], "new", {}),
    ("POST", "/api/v1/tickets/<number>/dispatch"): _action(
        ["operator", "dispatcher"], "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]}
    ),
    ("POST", "/api/v1/tickets/<number>/accept"): _action(["staff_own"], "dispatched", {}),
    ("POST", "/api/v1/tickets/<number>/return"): _action(["staff_own"], "dispatched", {"reason": "非本单位"}),
    ("POST", "/api/v1/tickets/<number>/reply"): _action(
        ["staff_own"], "accepted", {"content": "已办", "confirm_warnings": True}
    ),
    ("POST", "/api/v1/tickets/<number>/request-extension"): _action(
        ["staff_own"], "accepted", {"hours": 12, "reason": "需核查"}
    ),
    ("POST", "/api/v1/tickets/<number>/decide-extension"): _action(
        ["supervisor"], "extension_pending", {"approve": True}
    ),
    ("POST", "/api/v1/tickets/<number>/callback"): _action(
        ["operator"], "replied", {"satisfaction": "satisfied", "resolved": True}
    ),
    ("POST", "/api/v1/tickets/<number>/merge"): _action(["operator", "dispatcher"], "dispatched", {"into": "TARGET"}),
    ("POST", "/api/v1/tickets/<number>/urge"): _action(["supervisor"], "dispatched", {"note": "请尽快"}),
    ("POST", "/api/v1/tickets/<number>/supervise"): _action(["supervisor"], "dispatched", {"note": "督办"}),
    ("POST", "/api/v1/tickets/<number>/note"): _action(
        ["operator", "dispatcher", "supervisor", "staff_own", "staff_assist"], "dispatched", {"note": "备注"}
    ),
    ("POST", "/api/v1/tickets/<number>/<action>"): {
        "state": "dispatched",
        "path": {"action": "explode"},
        "expected": _ok_for(SIGNED_IN, 404),
    },
    ("GET", "/api/v1/audit-events"): {"expected": _ok_for(["admin", "supervisor"])},
    ("POST", "/api/v1/callers/lookup"): {
        "body": {"phone": "13800138000"},
        "expected": _ok_for(["operator", "dispatcher", "supervisor", "admin"]),
    },
    ("POST", "/api/v1/callers/lookups"): {
        "body": {"phone": "13800138000"},
        "expected": _ok_for(["supervisor", "admin"]),
    },
}

# Other domains keep their rows in tests/api/route_rules_<domain>.py, as a dict named RULES
# in the same shape (they may use _ok_for and _action from this module).
for _path in sorted(Path(__file__).parent.glob("route_rules_*.py")):
    RULES.update(importlib.import_module(f"{__package__}.{_path.stem}").RULES)


def test_every_route_has_a_rule(app):
    """Every route of an API blueprint, whatever its prefix (tests/route_guard.py)."""
    problems = route_guard.check(app, "api", RULES)
    assert not problems, "\n".join(problems)


def _prepare(world, route) -> tuple[str, object]:
    """The path and body for ``route``: its ticket in the rule's state, what its setup makes."""
    _method, rule = route
    spec = RULES[route]
    path = path_for(world, rule, spec)
    body = spec.get("body")
    if body and body.get("into") == "TARGET":
        body = {"into": world.ticket("new")}
    if body and body.get("members") == ["SIMILAR"]:  # a probable duplicate of the route's ticket
        body = {**body, "members": [world.ticket("pending_dispatch")]}
    return path, body


def _check_cell(world, route, role, path, body) -> str | None:
    """Call ``route`` as ``role``; None if it answered as its rule says, else what went wrong."""
    method, _rule = route
    spec = RULES[route]
    if spec.get("login"):
        username = "operator" if role == "anonymous" else USER_OF.get(role, role)
        body = {"username": username, "password": "password-123"}
    client = world.client(None if role == "anonymous" else USER_OF.get(role, role))
    if spec.get("login"):
        client.token = None
    kwargs = {"json": body} if body is not None else {}
    r = client.open(method, path, **kwargs)
    if r.status_code != spec["expected"][role]:
        return f"got {r.status_code}, expected {spec['expected'][role]}: {r.get_json()}"
    if r.status_code in (401, 403, 404) and not r.json["error"]["code"]:
        return f"{r.status_code} without an error code: {r.get_json()}"
    return None


@pytest.mark.parametrize("route", list(RULES), ids=[f"{m} {r}" for m, r in RULES])
def test_route_refuses_the_wrong_role_and_other_units(world, database, route):
    """Every role (unit staff of the own, an assisting and another unit) on one app.

    The route's ticket and setup are made once and saved as a template; every cell starts
    from that template (the database is restored between cells), so a cell sees exactly
    what it would see alone, whatever the cells before it changed.
    """
    path, body = _prepare(world, route)
    database.save(world.app, "cell")
    failures, checked = [], []
    for role in ROLES:
        database.restore(world.app, "cell")
        failure = _check_cell(world, route, role, path, body)
        checked.append(role)
        if failure:
            failures.append(f"{route[0]} {route[1]} as {role}: {failure}")
    assert checked == ROLES and set(RULES[route]["expected"]) == set(ROLES), "every role, each unit, is checked"
    record_cells("api", [(*route, "", role) for role in checked])
    assert not failures, "cells that failed:\n" + "\n".join(failures)
