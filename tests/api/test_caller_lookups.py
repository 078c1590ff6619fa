"""A caller's number stays out of URLs, and every lookup of a caller's history is recorded so
that a supervisor can answer "who looked this citizen up" (issue 19)."""

import pytest

from hotline.audit.models import AuditEvent

pytestmark = pytest.mark.any_database

NEW = {"caller_phone": "13800138000", "request_type": "help", "category": "MISC", "content": "求助"}


def _session(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def test_lookups_take_the_number_in_the_body_and_are_audited(world, app):
    op, disp = world.client("operator"), world.client("dispatcher")
    assert op.post("/api/v1/tickets", json=NEW).status_code == 201
    r = op.post("/api/v1/callers/lookup", json={"phone": "138 0013 8000"})
    assert r.status_code == 200 and r.json["total"] == 1
    assert (
        disp.post("/api/v1/callers/lookup", json={"phone": "13912345678"}).json["caller"] is None
    )  # unknown: audited too
    page = _session(app, "operator2").post("/ui/callers/lookup", json={"phone": "+86 138-0013-8000"})
    assert page.status_code == 200 and page.json["total"] == 1
    with app.app_context():
        seen = [
            (e.object_id, e.actor_role, e.data["caller_id"] is not None)
            for e in AuditEvent.query.filter_by(action="caller.lookup").order_by(AuditEvent.id)
        ]
    assert seen == [
        ("13800138000", "operator", True),
        ("13912345678", "dispatcher", False),
        ("13800138000", "operator", True),
    ]
    # The old addresses, with the number in the path, are gone.
    assert op.get("/api/v1/callers/13800138000/tickets").status_code == 404
    assert _session(app, "operator").get("/ui/callers/13800138000/tickets").status_code == 404


def test_a_supervisor_sees_who_looked_a_caller_up(world, app):
    world.client("operator").post("/api/v1/callers/lookup", json={"phone": "13800138000"})
    world.client("dispatcher").post("/api/v1/callers/lookup", json={"phone": "13800138000"})
    world.client("operator").post("/api/v1/callers/lookup", json={"phone": "13912345678"})
    r = world.client("supervisor").post("/api/v1/callers/lookups", json={"phone": "１３８ ００１３ ８０００"})
    assert r.status_code == 200 and r.json["phone"] == "13800138000" and r.json["total"] == 2
    assert [(i["actor"], i["actor_role"], i["found"]) for i in r.json["items"]] == [
        ("dispatcher", "dispatcher", False),
        ("operator", "operator", False),
    ]
    page = _session(app, "supervisor").post("/callers/lookups", data={"phone": "138-0013-8000"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "共 2 次" in text and "派单员" in text and "话务员" in text
    bad = _session(app, "supervisor").post("/callers/lookups", data={"phone": "12ab"})
    assert bad.status_code == 422 and "来电号码格式不正确" in bad.get_data(as_text=True)
    for role in ("operator", "staff_a"):
        assert world.client(role).post("/api/v1/callers/lookups", json={"phone": "13800138000"}).status_code == 403
