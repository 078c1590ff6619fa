"""The reports API: the same figures as figures.py, the role and unit rules, bad input."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.extensions import db


def get(world, user, path, **params):
    r = world.client(user).get(path, query_string=params)
    return r.status_code, r.get_json()


def test_figures_as_a_supervisor(world, november):
    status, body = get(world, "supervisor", "/api/v1/reports/figures", month="2026-11")
    assert status == 200
    rows = {r["code"]: r for r in body["units"]}
    a = rows["DEPT-A"]
    assert (a["received"], a["reply_on_time"], a["reply_assessed"], a["yellow_cards"], a["red_cards"]) == (
        8,
        5,
        7,
        2,
        1,
    )
    assert a["replied_on_time_rate"] == pytest.approx(5 / 7)
    assert (a["score"], a["rank"]) == (60.5, 2)
    assert rows["DEPT-C"]["satisfaction_rate"] is None and rows["DEPT-C"]["score"] is None
    assert "unit_id" not in a
    assert body["period"]["label"] == "2026年11月"
    assert body["total"]["received"] == 12
    assert body["scheme"]["version"] == 0
    status, body = get(world, "supervisor", "/api/v1/reports/figures", month="2026-11", level="district")
    assert {r["code"] for r in body["units"]} == {"D1", "D2"}
    assert body["units"][[r["code"] for r in body["units"]].index("D2")]["rank"] == 1


def test_a_unit_sees_only_its_own_figures(world, november):
    status, body = get(world, "staff_a", "/api/v1/reports/figures", month="2026-11")
    assert status == 200 and [r["code"] for r in body["units"]] == ["DEPT-A"] and body["total"] is None
    status, body = get(world, "staff_a", "/api/v1/reports/figures", month="2026-11", unit="DEPT-B")
    assert status == 404
    assert get(world, "staff_a", "/api/v1/reports/centre", month="2026-11")[0] == 403
    assert get(world, "staff_a", "/api/v1/reports/rankings", month="2026-11")[0] == 403
    assert get(world, "staff_a", "/api/v1/reports/tickets", figure="centre_received", month="2026-11")[0] == 403
    assert get(world, "staff_a", "/api/v1/reports/tickets", figure="received", unit="DEPT-B")[0] == 404
    status, body = get(world, "staff_a", "/api/v1/reports/tickets", figure="exempted", month="2026-11")
    assert status == 200 and body["unit"] == "DEPT-A" and [t["number"] for t in body["items"]] == [november["T7"]]
    assert get(world, "operator", "/api/v1/reports/figures")[0] == 403


def test_the_tickets_behind_a_rate(world, november):
    for part, expected in (("numerator", 5), ("denominator", 7)):
        status, body = get(
            world,
            "supervisor",
            "/api/v1/reports/tickets",
            figure="replied_on_time_rate",
            part=part,
            unit="DEPT-A",
            month="2026-11",
        )
        assert status == 200 and body["count"] == expected and len(body["items"]) == expected
    status, body = get(
        world, "supervisor", "/api/v1/reports/tickets", figure="received", unit="DEPT-A", month="2026-11", per_page="3"
    )
    assert body["count"] == 8 and len(body["items"]) == 3 and body["label"] == "接收工单数"
    status, body = get(
        world, "supervisor", "/api/v1/reports/tickets", figure="first_dispatch_accuracy", month="2026-11"
    )
    assert body["count"] == 11


def test_centre_and_rankings(world, november):
    status, body = get(world, "admin", "/api/v1/reports/centre", month="2026-11")
    assert status == 200 and body["centre"]["received"] == 13
    assert body["centre"]["first_dispatch_accuracy"] == pytest.approx(11 / 12)
    status, body = get(world, "supervisor", "/api/v1/reports/rankings", month="2026-11")
    city = [(r["code"], r["rank"]) for r in body["groups"]["city"]]
    assert city[:2] == [("DEPT-B", 1), ("DEPT-A", 2)]
    assert (body["groups"]["local"][0]["code"], body["groups"]["local"][0]["rank"]) == ("D2", 1)
    status, body = get(world, "supervisor", "/api/v1/reports/rankings", month="2026-11", group="local")
    assert list(body["groups"]) == ["local"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "11/2026"}, "month"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "from"),
        ({"from": "2026-11-01"}, "to"),
        ({"unit": "NOPE"}, "unit"),
        ({"level": "province"}, "level"),
        ({"category": "NOPE"}, "category"),
        ({"area": "DEPT-A"}, "area"),
        ({"month": "2026-11\x00"}, "month"),
        ({"unit": "DEPT-A\x00"}, "unit"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(world, params, field):
    """A value that cannot be read (a NUL byte) is a 400; a well-formed one that names
    nothing or contradicts another is a 422."""
    status = 400 if any("\x00" in v for v in params.values()) else 422
    with world.app.app_context():
        before = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    for path, extra in (("/api/v1/reports/figures", {}), ("/api/v1/reports/tickets", {"figure": "received"})):
        r = world.client("supervisor").get(path, query_string=params | extra)
        assert r.status_code == status, (path, r.get_json())
        error = r.get_json()["error"]
        assert error["field"] == field and any("\u4e00" <= c <= "\u9fff" for c in error["message_zh"])
    with world.app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == before


def test_bad_drill_parameters(world):
    for params, field in (
        ({"figure": "nonsense"}, "figure"),
        ({"figure": "received", "part": "half"}, "part"),
        ({"figure": "received", "page": "0"}, "page"),
        ({"figure": "received", "per_page": "100000"}, "per_page"),
        ({"figure": "received", "page": "²"}, "page"),
    ):
        r = world.client("supervisor").get("/api/v1/reports/tickets", query_string=params)
        assert r.status_code == 422 and r.get_json()["error"]["field"] == field, params


def test_definitions_and_openapi(world):
    status, body = get(world, "staff_a", "/api/v1/reports/definitions")
    assert status == 200 and "结算时间" in body["general"] and "合并" in body["general"]
    keys = {d["key"] for d in body["items"]}
    assert {"replied_on_time_rate", "early_rate", "satisfaction_rate", "score", "first_dispatch_accuracy"} <= keys
    doc = world.client("supervisor").get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/reports/figures", "/api/v1/reports/tickets", "/api/v1/reports/exemptions/{exemption_id}"):
        assert path in doc["paths"]
    assert doc["paths"]["/api/v1/reports/figures"]["get"]["tags"] == ["reports"]
