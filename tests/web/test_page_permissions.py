"""Every web page and form × every role × own unit / other unit (test client, no browser).

A page added without a row here fails test_every_page_has_a_rule.
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


def ok_for(roles, ok=200, *, refused=403, hidden=(), anonymous=302):
    expected = {"anonymous": anonymous}
    for role in SIGNED_IN:
        expected[role] = ok if role in roles else 404 if role in hidden else refused
    return expected


def action(roles, state, form):
    hidden = (
        ("staff_other",) if state not in ("new", "pending_dispatch") else ("staff_own", "staff_assist", "staff_other")
    )
    return {"state": state, "form": form, "expected": ok_for(roles, 303, hidden=hidden) | {"kb_editor": 403}}


PAGES = {
    ("GET", "/"): {"expected": ok_for(SIGNED_IN, 302)},
    ("GET", "/login"): {"expected": {"anonymous": 200, **{r: 302 for r in SIGNED_IN}}},
    ("POST", "/login"): {"login": True, "expected": {r: 302 for r in ROLES}},
    ("POST", "/logout"): {"expected": ok_for(SIGNED_IN, 302)},
    ("GET", "/healthz"): {"expected": {r: 200 for r in ROLES}},
    ("GET", "/livez"): {"expected": {r: 200 for r in ROLES}},
    ("GET", "/static/<path:filename>"): {"path": {"filename": "app.css"}, "expected": {r: 200 for r in ROLES}},
    ("GET", "/tickets"): {"expected": ok_for([*TICKET_ROLES, "staff_other"])},
    ("GET", "/tickets/new"): {"expected": ok_for(["operator"])},
    ("POST", "/tickets/new"): {
        "form": {
            "caller_phone": "13800138000",
            "request_type": "help",
            "category": "MISC",
            "content": "求助",
            "channel": "phone",
            "urgency": "normal",
            "intent": "save",
        },
        "expected": ok_for(["operator"], 303),
    },
    ("GET", "/tickets/<number>"): {"state": "dispatched", "expected": ok_for(TICKET_ROLES, hidden=("staff_other",))},
    ("POST", "/ui/callers/lookup"): {
        "form": {"phone": "13800138000"},
        "expected": ok_for(["operator", "dispatcher", "supervisor", "admin"], anonymous=401),
    },
    ("GET", "/callers/lookups"): {"expected": ok_for(["supervisor", "admin"])},
    ("POST", "/callers/lookups"): {"form": {"phone": "13800138000"}, "expected": ok_for(["supervisor", "admin"])},
}

ACTION_CASES = {
    "answer": action(["operator"], "new", {"answer": "已答复"}),
    "submit": action(["operator"], "new", {}),
    "dispatch": action(
        ["operator", "dispatcher"], "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": "DEPT-C"}
    ),
    "accept": action(["staff_own"], "dispatched", {}),
    "return": action(["staff_own"], "dispatched", {"reason": "非本单位职责"}),
    "reply": action(["staff_own"], "accepted", {"content": "已办结", "confirm_warnings": "true"}),
    "request-extension": action(["staff_own"], "accepted", {"hours": "12", "reason": "需核查"}),
    "decide-extension": action(["supervisor"], "extension_pending", {"approve": "true"}),
    "callback": action(["operator"], "replied", {"satisfaction": "satisfied", "resolved": "true"}),
    "merge": action(["operator", "dispatcher"], "dispatched", {"into": "TARGET"}),
    "urge": action(["supervisor"], "dispatched", {"note": "请尽快"}),
    "supervise": action(["supervisor"], "dispatched", {"note": "督办"}),
    "note": action(
        ["operator", "dispatcher", "supervisor", "staff_own", "staff_assist"], "dispatched", {"note": "备注"}
    ),
}
PAGES[("POST", "/tickets/<number>/<action>")] = {"actions": ACTION_CASES}

for _path in sorted(Path(__file__).parent.glob("page_rules_*.py")):
    PAGES.update(importlib.import_module(f"{__package__}.{_path.stem}").PAGES)
# Routes with a variable last segment carry a case per form, like the ticket actions.
PAGES[("POST", "/supervision/cases/<case_id>/<form>")] = {
    "actions": importlib.import_module(f"{__package__}.page_rules_supervision").CASE_FORMS
}
PAGES[("POST", "/kb/articles/<article_id>/<action>")] = {
    "actions": importlib.import_module(f"{__package__}.page_rules_kb").WORKFLOW
}


def test_every_page_has_a_rule(app):
    """Every route that is not the API's, whatever its prefix (tests/route_guard.py)."""
    problems = route_guard.check(app, "pages", PAGES)
    assert not problems, "\n".join(problems)


def _spec(route, action_name):
    return PAGES[route]["actions"][action_name] if action_name else PAGES[route]


def _prepare(world, route, action_name) -> tuple[str, dict]:
    """The path and form for the page: its ticket in the rule's state, what its setup makes."""
    _method, rule = route
    spec = _spec(route, action_name)
    path = path_for(world, rule, spec, **({"action": action_name} if action_name and "<action>" in rule else {}))
    form = dict(spec.get("form") or {})
    if form.get("into") == "TARGET":
        form["into"] = world.ticket("new")
    if form.get("members") == "SIMILAR":  # a probable duplicate of the page's ticket
        form["members"] = world.ticket("pending_dispatch")
    return path, form


def _check_cell(world, route, action_name, role, path, form) -> str | None:
    """Open the page (or send the form) as ``role``; None if it answered as its rule says,
    else what went wrong."""
    app = world.app
    method, rule = route
    spec = _spec(route, action_name)
    client = app.test_client()
    if role != "anonymous":
        user = USER_OF.get(role, role)
        signed = client.post("/login", data={"username": user, "password": "password-123"})
        if signed.status_code != 302:
            return f"signing in as {user} answered {signed.status_code}"
    if spec.get("login"):
        client = app.test_client()
        user = "operator" if role == "anonymous" else USER_OF.get(role, role)
        form = {"username": user, "password": "password-123"}
    r = client.open(path, method=method, data=form if method == "POST" else None)
    r.close()  # file responses (static) hold the file open until closed
    if r.status_code != spec["expected"][role]:
        return f"got {r.status_code}, expected {spec['expected'][role]}: {r.get_data(as_text=True)[:300]}"
    redirected = r.status_code == 302 and not spec.get("login") and rule != "/login"
    if role == "anonymous" and redirected and "/login" not in r.headers["Location"]:
        return f"redirected to {r.headers['Location']}, not to the sign-in page"
    if role == "anonymous" and rule.startswith("/ui/"):  # the pages' scripts get JSON they can show
        error = (r.get_json(silent=True) or {}).get("error") or {}
        if error.get("code") != "not_signed_in" or not error.get("message_zh"):
            return f"the JSON error for the pages' scripts is missing: {r.get_data(as_text=True)[:300]}"
    return None


CASES = [(route, name) for route, spec in PAGES.items() for name in spec.get("actions", [None])]


@pytest.mark.parametrize(("route", "action_name"), CASES, ids=[f"{m} {r} {a or ''}" for (m, r), a in CASES])
def test_page_refuses_the_wrong_role_and_other_units(world, database, route, action_name):
    """Every role (unit staff of the own, an assisting and another unit) on one app.

    The page's ticket and setup are made once and saved as a template; every cell of a
    POST starts from that template (the database is restored between cells), so a cell sees
    exactly what it would see alone, whatever the cells before it changed; the cells of a
    GET share it (reading changes nothing but the sign-ins' audit rows).
    """
    path, form = _prepare(world, route, action_name)
    database.save(world.app, "cell")
    failures, checked = [], []
    for role in ROLES:
        if checked and route[0] != "GET":  # a GET changes nothing a later cell sees (a sign-in's audit row)
            database.restore(world.app, "cell")
        failure = _check_cell(world, route, action_name, role, path, form)
        checked.append(role)
        if failure:
            failures.append(f"{route[0]} {route[1]} {action_name or ''} as {role}: {failure}")
    expected = _spec(route, action_name)["expected"]
    assert checked == ROLES and set(expected) == set(ROLES), "every role, each unit, is checked"
    record_cells("page", [(*route, action_name or "", role) for role in checked])
    assert not failures, "cells that failed:\n" + "\n".join(failures)
