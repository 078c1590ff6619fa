"""Units and categories: listing for everyone, administration for admins."""

from hotline.audit.models import AuditEvent
from hotline.units.models import Unit


def test_units_are_listed_with_code_name_level_parent(world):
    r = world.client("staff_a").get("/api/v1/units")
    assert r.status_code == 200
    by_code = {u["code"]: u for u in r.json["items"]}
    assert by_code["D1-T1"] == {
        "code": "D1-T1",
        "name": "东城区东湖街道",
        "level": "town",
        "level_label": "镇街",
        "parent": "D1",
        "contact_phone": None,
        "is_active": True,
    }
    assert by_code["CITY"]["parent"] is None
    assert {u["code"] for u in world.client("operator").get("/api/v1/units?level=district").json["items"]} == {
        "D1",
        "D2",
    }


def test_unit_administration(world, app):
    admin = world.client("admin")
    r = admin.post("/api/v1/units", json={"code": "D1-T2", "name": "东城区龙门镇", "level": "town", "parent": "D1"})
    assert r.status_code == 201 and r.json["parent"] == "D1"
    assert (
        admin.post("/api/v1/units", json={"code": "D1-T2", "name": "重复", "level": "town", "parent": "D1"}).status_code
        == 409
    )
    # A district under a town, a town with no parent, an unknown parent, a cycle: refused.
    for body, field in [
        ({"code": "X1", "name": "x", "level": "district", "parent": "D1-T1"}, "parent"),
        ({"code": "X2", "name": "x", "level": "town"}, "parent"),
        ({"code": "X3", "name": "x", "level": "town", "parent": "NOPE"}, "parent"),
        ({"code": "X4", "name": "x", "level": "province", "parent": "CITY"}, "level"),
        ({"code": "bad code!", "name": "x", "level": "city"}, "code"),
    ]:
        r = admin.post("/api/v1/units", json=body)
        assert r.status_code == 422 and r.json["error"]["field"] == field, body
    r = admin.patch("/api/v1/units/CITY", json={"parent": "DEPT-A"})
    assert r.status_code == 422 and r.json["error"]["field"] == "parent"
    # Disabling hides the unit from lists and from dispatch.
    assert admin.patch("/api/v1/units/D2", json={"is_active": False}).json["is_active"] is False
    assert "D2" not in {u["code"] for u in world.client("operator").get("/api/v1/units").json["items"]}
    assert "D2" in {u["code"] for u in admin.get("/api/v1/units?include_inactive=true").json["items"]}
    number = world.ticket("pending_dispatch")
    r = world.client("dispatcher").post(f"/api/v1/tickets/{number}/dispatch", json={"lead_unit": "D2"})
    assert r.status_code == 422 and r.json["error"]["field"] == "lead_unit"
    assert admin.patch("/api/v1/units/NOPE", json={"name": "x"}).status_code == 404
    with app.app_context():
        assert Unit.query.count() == 8
        assert AuditEvent.query.filter(AuditEvent.action.like("unit.%")).count() >= 9


def test_categories_two_levels(world):
    admin = world.client("admin")
    r = admin.post(
        "/api/v1/categories",
        json={"code": "SOC.MED", "name": "医疗保险", "parent": "SOC", "default_lead_unit": "DEPT-A"},
    )
    assert r.status_code == 201 and r.json["full_name"] == "社会保障 / 医疗保险"
    r = admin.post("/api/v1/categories", json={"code": "SOC.MED.X", "name": "三级", "parent": "SOC.MED"})
    assert r.status_code == 422 and r.json["error"]["field"] == "parent"
    r = admin.post("/api/v1/categories", json={"code": "Y", "name": "y", "default_lead_unit": "NOPE"})
    assert r.status_code == 422 and r.json["error"]["field"] == "default_lead_unit"
    listed = world.client("operator").get("/api/v1/categories").json["items"]
    assert {
        "code": "SOC.PEN",
        "name": "养老保险",
        "full_name": "社会保障 / 养老保险",
        "parent": "SOC",
        "default_lead_unit": "DEPT-A",
        "is_active": True,
    } in listed
    # A retired category cannot be used for new tickets.
    admin.patch("/api/v1/categories/MISC", json={"is_active": False})
    r = world.client("operator").post(
        "/api/v1/tickets",
        json={"caller_phone": "13800138000", "request_type": "help", "category": "MISC", "content": "求助"},
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "category"


def test_request_types(world):
    r = world.client("kb_editor").get("/api/v1/request-types")
    assert [t["code"] for t in r.json["items"]] == [
        "consultation",
        "help",
        "complaint",
        "report",
        "suggestion",
        "praise",
    ]
    assert r.json["items"][2]["name"] == "投诉"


def test_audit_trail_lists_administrative_changes(world):
    admin = world.client("admin")
    admin.post("/api/v1/units", json={"code": "D9", "name": "九区", "level": "district", "parent": "CITY"})
    admin.patch("/api/v1/units/D9", json={"name": "第九区"})
    r = world.client("supervisor").get("/api/v1/audit-events?object_type=unit&object_id=D9")
    assert r.status_code == 200
    assert [(e["action"], e["actor"]) for e in r.json["items"]] == [("unit.update", "admin"), ("unit.create", "admin")]
    assert r.json["items"][0]["data"]["after"] == {"name": "第九区"}
    assert world.client("admin").get("/api/v1/audit-events?actor=admin&per_page=1").json["total"] == 2
    assert world.client("admin").get("/api/v1/audit-events?per_page=500").status_code == 422
