"""A caller's number never reaches a unit, wherever it was written (issue 19).

One complaint carries a different phone or identity number in every free text people type
into it: the content, the address, the operator's, dispatcher's, supervisor's and units'
notes, the extension's reason and decision, the reply, the callback's note, the supervision
case's reason, order, rectification notice and response. Then every API answer and every
page the lead unit's and the assisting unit's staff can open (every GET route whose rule
gives them 200, with this ticket and case in the path) is scanned for any of those numbers
in full, and for anything else that looks like a personal number; and so is every message
sent to a unit. Found in full: 0. Operators and supervisors still read the text as typed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from hotline.core import clock
from hotline.core.errors import Conflict
from hotline.core.privacy import _matches
from hotline.extensions import db
from hotline.notifications.models import Notification
from tests.route_paths import path_for

from .test_route_permissions import RULES

# field → (the text typed, the number in it as it must never be shown to a unit)
TYPED = {
    "content": ("路灯坏了，请回电13811112222或者（0757）83330001。", ["13811112222", "83330001"]),
    "address": ("东湖路1号，门卫0757-83331234", ["0757-83331234", "83331234"]),
    "submit": ("来电人另一号码139 2222 3333", ["139 2222 3333", "13922223333"]),
    "dispatch": ("身份证440681199001011234，核实后联系", ["440681199001011234"]),
    "operator_note": ("补充：家里电话88776655", ["88776655"]),
    "urge": ("请尽快联系15044445555", ["15044445555"]),
    "supervise": ("督办，来电人手机+86 186-5555-6666", ["186-5555-6666", "18655556666"]),
    "accept": ("已签收，将联系13566667777", ["13566667777"]),
    "extension": ("需联系来电人13677778888核实", ["13677778888"]),
    "decision": ("同意，请联系13788889999", ["13788889999"]),
    "case": ("立案：来电人13899990000多次反映", ["13899990000"]),
    "close": ("结案：已回电13812340000", ["13812340000"]),
    "order": ("催办：回电13900001111", ["13900001111"]),
    "notice": ("请联系13911112222并整改", ["13911112222"]),
    "response": ("已联系13922223334整改完毕", ["13922223334"]),
    "reply": ("已联系13933334444，已修复", ["13933334444"]),
    "callback": ("来电人不满意，另留号码13944445555", ["13944445555"]),
    "assist_note": ("协办单位已联系0757-86667777", ["0757-86667777", "86667777"]),
}
PLANTED = [n for _typed, numbers in TYPED.values() for n in numbers]
CALLER = "13700001111"


def _ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def _complaint(world):
    """The complaint, driven through the API as each role would, with numbers everywhere."""
    op, disp, sup = world.client("operator"), world.client("dispatcher"), world.client("supervisor")
    staff, assist = world.client("staff_a"), world.client("staff_c")
    body = {
        "caller_phone": CALLER,
        "caller_name": "李四",
        "request_type": "complaint",
        "category": "SOC.PEN",
        "area": "D1-T1",
        "address": TYPED["address"][0],
        "content": TYPED["content"][0],
    }
    number = _ok(op.post("/api/v1/tickets", json=body), 201).json["number"]
    act = f"/api/v1/tickets/{number}"
    _ok(op.post(f"{act}/submit", json={"note": TYPED["submit"][0]}))
    dispatch = {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"], "note": TYPED["dispatch"][0]}
    _ok(disp.post(f"{act}/dispatch", json=dispatch))
    _ok(op.post(f"{act}/note", json={"note": TYPED["operator_note"][0]}))
    _ok(sup.post(f"{act}/urge", json={"note": TYPED["urge"][0]}))
    _ok(sup.post(f"{act}/supervise", json={"note": TYPED["supervise"][0]}))
    _ok(staff.post(f"{act}/accept", json={"note": TYPED["accept"][0]}))
    _ok(staff.post(f"{act}/request-extension", json={"hours": 12, "reason": TYPED["extension"][0]}))
    _ok(sup.post(f"{act}/decide-extension", json={"approve": True, "note": TYPED["decision"][0]}))
    _ok(assist.post(f"{act}/note", json={"note": TYPED["assist_note"][0]}))
    # A complaint's case was opened at dispatch: closed with a note, and another one opened.
    opened = _ok(sup.get(f"/api/v1/supervision/cases?ticket={number}")).json["items"][0]["id"]
    _ok(sup.post(f"/api/v1/supervision/cases/{opened}/close", json={"note": TYPED["close"][0]}))
    case = _ok(sup.post("/api/v1/supervision/cases", json={"ticket": number, "reason": TYPED["case"][0]}), 201)
    case_id = case.json["id"]
    _ok(sup.post(f"/api/v1/supervision/cases/{case_id}/orders", json={"kind": "urge", "note": TYPED["order"][0]}), 201)
    with world.app.app_context():
        due = clock.isoformat(clock.now() + timedelta(hours=48))
    notice = {"content": TYPED["notice"][0], "due_at": due, "unit": "DEPT-A"}
    issued = _ok(sup.post(f"/api/v1/supervision/cases/{case_id}/notices", json=notice), 201)
    notice_id = issued.json["notices"][-1]["id"]
    _ok(
        staff.post(
            f"/api/v1/supervision/cases/{case_id}/notices/{notice_id}/response",
            json={"response": TYPED["response"][0]},
        )
    )
    _ok(staff.post(f"{act}/reply", json={"content": TYPED["reply"][0], "confirm_warnings": True}))
    callback = {"satisfaction": "dissatisfied", "resolved": False, "note": TYPED["callback"][0]}
    _ok(op.post(f"{act}/callback", json=callback))  # reopened to DEPT-A: the unit sees it again
    return {"number": number, "case_id": case_id, "notice_id": notice_id}


def _full_numbers(text: str) -> list[str]:
    """The planted numbers shown in full in ``text``, and anything else still looking like one."""
    squeezed = re.sub(r"[\s\-()（）+]", "", text)
    found = [n for n in PLANTED if n in text or re.sub(r"\D", "", n) in squeezed]
    found += [m.group(0) for m in _matches(text) if m.group(0) not in found]
    return found


def _fill(world, rule, spec, made, setups: dict) -> str:
    """The rule's path: this complaint and its case where it takes them, else the rule's own
    setup (run once per setup function: several routes share one)."""
    if any(f"<{k}>" in rule for k in made):
        path = rule
        for key, value in made.items():
            path = path.replace(f"<{key}>", str(value))
        return path
    setup = spec.get("setup")
    if setup is not None:
        key = setup.__name__  # the API's and the pages' rules name the same setups
        if key not in setups:
            setups[key] = setup(world)
        spec = {**spec, "setup": lambda _world: setups[key]}
    return path_for(world, rule, spec)


def _page_rules():
    from tests.web.test_page_permissions import PAGES

    return PAGES


def _readable(rules, role) -> list[tuple[str, dict]]:
    return [
        (rule, spec)
        for (method, rule), spec in rules.items()
        if method == "GET" and spec.get("expected", {}).get(role) == 200
    ]


def _signed_in(app, username):
    client = app.test_client()
    _ok(client.post("/login", data={"username": username, "password": "password-123"}), 302)
    return client


def _paths(world, rules, made, extra, setups) -> dict[str, list[str]]:
    """Per unit role, the paths of every GET route its rule lets it read (each setup run once)."""
    filled: dict[str, str | None] = {}
    out = {}
    for role in ("staff_own", "staff_assist"):
        paths = []
        for rule, spec in _readable(rules, role):
            if rule not in filled:
                try:
                    filled[rule] = _fill(world, rule, spec, made, setups)
                except Conflict:  # a second setup that publishes the same bulletin: read the first's
                    filled[rule] = None
            if filled[rule]:
                paths.append(filled[rule])
        out[role] = list(dict.fromkeys(paths + extra))
    return out


def _scan(client, paths, who) -> tuple[int, list]:
    scanned, leaks = 0, []
    for path in paths:
        r = client.get(path)
        if r.status_code == 200 and r.mimetype in ("text/html", "application/json", "text/csv", "image/svg+xml"):
            scanned += 1
            leaks += [(who, path, n) for n in _full_numbers(r.get_data(as_text=True))]
        r.close()
    return scanned, leaks


def test_no_number_in_full_reaches_unit_staff_anywhere(world, app):
    made = _complaint(world)
    number = made["number"]
    setups: dict = {}
    api = _paths(world, RULES, made, [f"/api/v1/tickets?q={number}", f"/api/v1/tickets/{number}"], setups)
    pages = _paths(world, _page_rules(), made, [f"/tickets/{number}", f"/tickets?q={number}", "/dashboard"], setups)
    leaks, scanned = [], 0
    for role, username in (("staff_own", "staff_a"), ("staff_assist", "staff_c")):
        for client, paths in ((world.client(username), api[role]), (_signed_in(app, username), pages[role])):
            n, found = _scan(client, paths, username)
            scanned, leaks = scanned + n, leaks + found
    assert scanned >= 20, scanned
    print(f"\nscanned {scanned} answers and pages as unit staff; numbers found in full: {len(leaks)}")
    assert leaks == []


def test_messages_to_units_carry_no_number_and_the_masked_text_is_still_there(world, app):
    made = _complaint(world)
    with app.app_context():
        to_units = db.session.scalars(
            select(Notification).where(Notification.recipient_type.in_(["unit", "unit_head"]))
        ).all()
        bodies = [f"{n.subject or ''} {n.body}" for n in to_units]
    assert any("150****5555" in b for b in bodies), bodies  # the urge's note reached the unit, masked
    assert [b for b in bodies if _full_numbers(b)] == []
    # Staff read the text, only the numbers are masked.
    detail = world.client("staff_a").get(f"/api/v1/tickets/{made['number']}").json
    assert detail["content"] == "路灯坏了，请回电138****2222或者（075*）****0001。"


def test_roles_that_need_the_numbers_read_the_text_as_typed(world):
    made = _complaint(world)
    for role in ("operator", "dispatcher", "supervisor", "admin"):
        detail = world.client(role).get(f"/api/v1/tickets/{made['number']}").json
        assert detail["content"] == TYPED["content"][0] and detail["address"] == TYPED["address"][0]
        notes = " ".join(e["note"] or "" for e in detail["events"])
        assert TYPED["dispatch"][0] in notes and TYPED["urge"][0] in notes
