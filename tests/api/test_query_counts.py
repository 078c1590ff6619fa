"""Listing tickets costs a fixed number of queries, whatever the page size (no N+1)."""

from contextlib import contextmanager

from sqlalchemy import event

from hotline.extensions import db


@contextmanager
def counted(app):
    calls = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args, **kwargs):
        calls.append(statement.split(None, 3)[:3])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield calls
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _tickets_of_every_kind(world):
    for state in ("new", "dispatched", "accepted", "replied", "closed", "merged"):
        world.ticket(state, assists=["DEPT-C"] if state != "new" else ())


def test_list_queries_do_not_grow_with_the_page(world, app):
    op = world.client("operator")
    _tickets_of_every_kind(world)
    with counted(app) as few:
        assert op.get("/api/v1/tickets?per_page=100").json["total"] == 6
    for _ in range(4):
        _tickets_of_every_kind(world)
    with counted(app) as many:
        assert op.get("/api/v1/tickets?per_page=100").json["total"] == 30
    assert len(many) == len(few)


def test_the_intake_response_is_the_ticket_as_read_back(world, app):
    """The 201 body is built from the objects just written, before the commit: it must be
    exactly what reading the ticket afterwards returns (a complaint, with an area, a named
    new caller, and the supervision case its intake opens)."""
    from .test_lifecycle import NEW_TICKET

    op = world.client("operator")
    for body in (NEW_TICKET, {**NEW_TICKET, "request_type": "consultation", "area": None, "caller_name": None}):
        created = op.post("/api/v1/tickets", json=body)
        assert created.status_code == 201
        assert created.json == op.get(f"/api/v1/tickets/{created.json['number']}").json
    # A known caller, by another name: the name is updated, and shown at once.
    again = op.post("/api/v1/tickets", json={**NEW_TICKET, "caller_name": "张伟"})
    assert again.json["caller_name"] == "张伟"
    assert again.json == op.get(f"/api/v1/tickets/{again.json['number']}").json


def test_an_intake_costs_a_fixed_few_statements(world, app):
    """Token, category, caller, number, ticket, its row of the text index, event: nothing is read back after the
    commit, and nothing a new ticket cannot have (other events, replies, callbacks,
    extension requests, duplicates, deadlines) is queried."""
    from .test_lifecycle import NEW_TICKET

    op = world.client("operator")
    body = {**NEW_TICKET, "request_type": "consultation", "area": None}
    op.post("/api/v1/tickets", json=body)  # warm: the first call may load more
    with counted(app) as calls:
        assert op.post("/api/v1/tickets", json={**body, "caller_phone": "13900139000"}).status_code == 201
    assert len(calls) <= 8, calls


def test_every_action_answers_with_the_ticket_as_read_back(world, app):
    """Actions also build their answer before the commit: each must equal a later GET."""

    def act(client, number, action, body=None, *, reader=None):
        r = client.post(f"/api/v1/tickets/{number}/{action}", json=body or {})
        assert r.status_code == 200, r.json
        if reader is None:
            assert r.json == client.get(f"/api/v1/tickets/{number}").json, action
        else:  # the actor no longer sees the ticket: compare what does not depend on the viewer
            viewer_bound = ("allowed_actions", "caller_phone", "caller_phone_masked")
            seen = reader.get(f"/api/v1/tickets/{number}").json
            assert {k: v for k, v in r.json.items() if k not in viewer_bound} == {
                k: v for k, v in seen.items() if k not in viewer_bound
            }, action
        return r.json

    op, disp, sup = world.client("operator"), world.client("dispatcher"), world.client("supervisor")
    staff = world.client("staff_a")
    number = world.ticket("new")
    act(op, number, "submit")
    act(disp, number, "dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]})
    act(world.client("staff_c"), number, "note", {"note": "协办单位已了解"})
    act(staff, number, "accept")
    act(staff, number, "request-extension", {"hours": 24, "reason": "需要现场核查"})
    act(sup, number, "decide-extension", {"approve": True, "note": "同意"})
    act(sup, number, "urge", {"note": "请尽快办理"})
    act(sup, number, "supervise", {"note": "督办"})
    act(staff, number, "reply", {"content": "已处理", "confirm_warnings": True})
    reopened = act(op, number, "callback", {"satisfaction": "dissatisfied", "resolved": False})
    assert reopened["status"] == "dispatched" and reopened["reopen_count"] == 1
    act(staff, number, "accept")
    act(staff, number, "return", {"reason": "不属于我局职责"}, reader=disp)
    assert staff.get(f"/api/v1/tickets/{number}").status_code == 404
    act(op, world.ticket("new"), "answer", {"answer": "请携带身份证到社保窗口办理。"})
    act(op, world.ticket("dispatched"), "merge", {"into": number})
