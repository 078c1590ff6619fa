"""Listing tickets costs a fixed number of queries, whatever the page size (no N+1)."""

from contextlib import contextmanager

from sqlalchemy import event

from hotline.extensions import db


@contextmanager
def counted(app):
    calls = []
    with app.app_context():
        engine = db.engine

    def count(*args, **kwargs):
        calls.append(1)

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
    """Token, category, caller, number, ticket, event, then the new ticket's events and
    deadlines: nothing is read back after the commit, and the lists a new ticket cannot
    have (replies, callbacks, extension requests, duplicates) are not queried."""
    from .test_lifecycle import NEW_TICKET

    op = world.client("operator")
    body = {**NEW_TICKET, "request_type": "consultation", "area": None}
    op.post("/api/v1/tickets", json=body)  # warm: the first call may load more
    with counted(app) as calls:
        assert op.post("/api/v1/tickets", json={**body, "caller_phone": "13900139000"}).status_code == 201
    assert len(calls) <= 9, len(calls)
