"""What each role sees: scoping of lists, masking of phone numbers."""

from .test_lifecycle import NEW_TICKET


def test_unit_staff_see_only_their_units_tickets(world):
    own = world.ticket("dispatched", lead="DEPT-A")
    assisted = world.ticket("dispatched", lead="DEPT-B", assists=["DEPT-A"])
    other = world.ticket("dispatched", lead="DEPT-B")
    undispatched = world.ticket("pending_dispatch")
    r = world.client("staff_a").get("/api/v1/tickets")
    assert {t["number"] for t in r.json["items"]} == {own, assisted}
    assert r.json["total"] == 2
    assert world.client("staff_a").get(f"/api/v1/tickets/{other}").status_code == 404
    assert world.client("staff_a").get(f"/api/v1/tickets/{undispatched}").status_code == 404
    # Asking for another unit's tickets by filter gives nothing, not their tickets.
    r = world.client("staff_a").get("/api/v1/tickets?unit=DEPT-B")
    assert {t["number"] for t in r.json["items"]} == {assisted}
    # Operators see everything.
    assert world.client("operator").get("/api/v1/tickets").json["total"] == 4


def test_unit_staff_see_the_phone_masked_everywhere(world):
    number = world.ticket("dispatched", phone="13812341234")
    staff = world.client("staff_a")
    detail = staff.get(f"/api/v1/tickets/{number}").json
    assert detail["caller_phone"] == "138****1234" and detail["caller_phone_masked"] is True
    listed = staff.get("/api/v1/tickets").json["items"][0]
    assert listed["caller_phone"] == "138****1234"
    # The full number appears nowhere in what the unit receives.
    assert "13812341234" not in staff.get(f"/api/v1/tickets/{number}").get_data(as_text=True)
    assert "13812341234" not in staff.get("/api/v1/tickets").get_data(as_text=True)
    accepted = staff.post(f"/api/v1/tickets/{number}/accept").get_data(as_text=True)
    assert "13812341234" not in accepted
    for role in ("operator", "dispatcher", "supervisor", "admin"):
        assert world.client(role).get(f"/api/v1/tickets/{number}").json["caller_phone"] == "13812341234"


def test_unit_staff_cannot_search_by_phone(world):
    world.ticket("dispatched", phone="13812341234")
    assert world.client("staff_a").post("/api/v1/callers/lookup", json={"phone": "13812341234"}).status_code == 403
    r = world.client("staff_a").get("/api/v1/tickets?q=13812341234")
    assert r.json["total"] == 0


def test_list_filters_and_pagination(world):
    for _ in range(3):
        world.ticket("new", request_type="consultation")
    world.ticket("dispatched", request_type="complaint", content="噪音扰民，施工到深夜")
    op = world.client("operator")
    assert op.get("/api/v1/tickets?status=new").json["total"] == 3
    assert op.get("/api/v1/tickets?type=complaint").json["total"] == 1
    assert op.get("/api/v1/tickets?unit=DEPT-A").json["total"] == 1
    assert op.get("/api/v1/tickets?q=噪音").json["total"] == 1
    page = op.get("/api/v1/tickets?per_page=2&page=2").json
    assert page["total"] == 4 and page["pages"] == 2 and len(page["items"]) == 2
    # Newest first.
    items = op.get("/api/v1/tickets").json["items"]
    assert [i["number"] for i in items] == sorted((i["number"] for i in items), reverse=True)


def test_search_text_is_literal(world):
    world.ticket("new", content="100% 满意_测试")
    world.ticket("new", content="其他内容")
    op = world.client("operator")
    # Wildcards are not wildcards: punctuation is not indexed (see tickets/text_search.py), so
    # a query of punctuation alone finds nothing, never everything.
    assert op.get("/api/v1/tickets?q=%25").json["total"] == 0
    assert op.get("/api/v1/tickets?q=_").json["total"] == 0
    assert op.get("/api/v1/tickets?q=100%25").json["total"] == 1
    assert op.get("/api/v1/tickets?q=满意_测试").json["total"] == 1
    assert op.get("/api/v1/tickets?q=' OR 1=1 --").json["total"] == 0


def test_bad_list_parameters(world):
    op = world.client("operator")
    for query, field in [
        ("status=open", "status"),
        ("type=x", "type"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("page=abc", "page"),
        ("unit=NOPE", "unit"),
        ("sort=number", "sort"),
        ("status=new&status=closed", "status"),
        ("q=%00", "q"),
    ]:
        r = op.get(f"/api/v1/tickets?{query}")
        assert r.status_code == 422, query
        assert r.json["error"]["field"] == field, query


def test_kb_editor_sees_no_tickets(world):
    world.ticket("new")
    assert world.client("kb_editor").get("/api/v1/tickets").status_code == 403


def test_operator_sees_caller_history(world):
    op = world.client("operator")
    for _ in range(2):
        op.post("/api/v1/tickets", json={**NEW_TICKET, "caller_phone": "15012345678"})
    op.post("/api/v1/tickets", json={**NEW_TICKET, "caller_phone": "13912345678"})
    r = op.post("/api/v1/callers/lookup", json={"phone": "+86 150 1234 5678"})
    assert r.json["total"] == 2 and all(t["caller_phone"] == "15012345678" for t in r.json["items"])
