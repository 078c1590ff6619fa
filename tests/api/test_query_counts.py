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
