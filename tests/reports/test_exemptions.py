"""Exemptions (考核免责), their reasons, and the versioned score schemes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from hotline.reports import figures, scores
from hotline.reports.models import Exemption, ScoreScheme
from hotline.reports.periods import month_period
from hotline.tickets.models import TicketEvent

from .helpers import exemption_count, reasons

NOV = month_period("2026-11", "Asia/Shanghai")


def _overdue_ticket(world):
    """A complaint dispatched to DEPT-A on 21 November, never replied: overdue by 10 December."""
    reasons(world)
    with world.app.app_context():
        from hotline.tickets import services as tickets

        from .story import local

        op, disp = world.user("operator"), world.user("dispatcher")
        ticket, _ = tickets.create(
            actor=op,
            now=local(11, 21, 9),
            data=tickets.NewTicket(
                caller_phone="13800138000", request_type="complaint", category="SOC.PEN", content="噪音"
            ),
        )
        tickets.submit(ticket, actor=op, now=local(11, 21, 9))
        tickets.dispatch(ticket, actor=disp, now=local(11, 21, 9), lead_unit="DEPT-A")
        db.session.commit()
        return ticket.number


def _dept_a(world):
    with world.app.app_context():
        return next(r for r in figures.unit_figures(NOV, now=clock.now(), unit_code="DEPT-A"))


def _audit(world, action):
    with world.app.app_context():
        return db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == action))


def test_request_approve_and_the_figures_change(world):
    number = _overdue_ticket(world)
    before = _dept_a(world)
    assert (before["received"], before["reply_assessed"], before["reply_overdue"]) == (1, 1, 1)
    staff, sup = world.client("staff_a"), world.client("supervisor")
    r = staff.post("/api/v1/reports/exemptions", json={"ticket": number, "reason": "force_majeure", "note": "台风"})
    assert r.status_code == 201 and r.json["status"] == "pending" and r.json["reason_name"] == "不可抗力"
    xid = r.json["id"]
    # A second request while one is pending: 409, nothing added.
    r = staff.post("/api/v1/reports/exemptions", json={"ticket": number, "reason": "force_majeure", "note": "再次"})
    assert r.status_code == 409 and exemption_count(world) == 1
    # Pending changes nothing yet.
    assert _dept_a(world)["reply_assessed"] == 1
    # Refusing needs a note.
    r = sup.post(f"/api/v1/reports/exemptions/{xid}/decide", json={"approve": False})
    assert r.status_code == 422 and r.json["error"]["field"] == "note"
    assert sup.get(f"/api/v1/reports/exemptions/{xid}").json["status"] == "pending"
    r = sup.post(f"/api/v1/reports/exemptions/{xid}/decide", json={"approve": True, "note": "属实"})
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["decided_by"] == "supervisor"
    r = sup.post(f"/api/v1/reports/exemptions/{xid}/decide", json={"approve": False, "note": "改判"})
    assert r.status_code == 409
    after = _dept_a(world)
    # Out of the assessed figures, still in the volume.
    assert (after["received"], after["reply_assessed"], after["reply_overdue"], after["exempted"]) == (1, 0, 0, 1)
    assert after["replied_on_time_rate"] is None
    with world.app.app_context():
        ticket = world.get(number)
        actions = list(db.session.scalars(db.select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id)))
        assert {"exemption_requested", "exemption_approved"} <= set(actions)
    assert _audit(world, "exemption.request") == 1 and _audit(world, "exemption.approve") == 1
    # The ticket's page shows it to the unit.
    page = _page(world, "staff_a", f"/tickets/{number}")
    assert "考核免责" in page and "已批准" in page


def test_refused_then_asked_again(world):
    number = _overdue_ticket(world)
    staff, sup = world.client("staff_a"), world.client("supervisor")
    xid = staff.post(
        "/api/v1/reports/exemptions", json={"ticket": number, "reason": "not_within_duties", "note": "非本单位"}
    ).json["id"]
    assert (
        sup.post(
            f"/api/v1/reports/exemptions/{xid}/decide", json={"approve": False, "note": "属本单位职责"}
        ).status_code
        == 200
    )
    assert _dept_a(world)["reply_assessed"] == 1
    r = staff.post("/api/v1/reports/exemptions", json={"ticket": number, "reason": "force_majeure", "note": "补充材料"})
    assert r.status_code == 201
    assert _audit(world, "exemption.refuse") == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reason": "nope", "note": "x"}, 422, "reason"),
        ({"reason": "force_majeure", "note": ""}, 422, "note"),
        ({"reason": "force_majeure", "note": "台\x00风"}, 422, "note"),
        ({"reason": "force_majeure"}, 422, "note"),
    ],
)
def test_bad_requests_change_nothing(world, body, status, field):
    number = _overdue_ticket(world)
    r = world.client("staff_a").post("/api/v1/reports/exemptions", json={"ticket": number, **body})
    assert r.status_code == status and r.json["error"]["field"] == field and r.json["error"]["message_zh"]
    assert exemption_count(world) == 0


def test_only_the_lead_unit_asks(world):
    number = _overdue_ticket(world)
    body = {"ticket": number, "reason": "force_majeure", "note": "台风"}
    assert world.client("staff_b").post("/api/v1/reports/exemptions", json=body).status_code == 404
    assert world.client("supervisor").post("/api/v1/reports/exemptions", json=body).status_code == 403
    assert exemption_count(world) == 0
    assert "申请免责" not in _page(world, "staff_b", f"/tickets/{number}")
    assert "申请免责" in _page(world, "staff_a", f"/tickets/{number}")
    assert "申请免责" not in _page(world, "operator", f"/tickets/{number}")


def test_reasons_are_kept_by_admins(world):
    reasons(world)
    admin = world.client("admin")
    r = admin.post("/api/v1/reports/exemption-reasons", json={"code": "other", "name": "其他", "sort_order": 999})
    assert r.status_code == 201
    assert admin.post("/api/v1/reports/exemption-reasons", json={"code": "other", "name": "重复"}).status_code == 409
    r = admin.patch("/api/v1/reports/exemption-reasons/force_majeure", json={"is_active": False})
    assert r.status_code == 200 and r.json["is_active"] is False
    number = _overdue_ticket(world)
    r = world.client("staff_a").post(
        "/api/v1/reports/exemptions", json={"ticket": number, "reason": "force_majeure", "note": "台风"}
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "reason"
    world.client("staff_a").post("/api/v1/reports/exemptions", json={"ticket": number, "reason": "other", "note": "x"})
    assert admin.delete("/api/v1/reports/exemption-reasons/other").status_code == 409  # in use
    assert admin.delete("/api/v1/reports/exemption-reasons/beyond_policy").status_code == 204
    assert admin.delete("/api/v1/reports/exemption-reasons/nope").status_code == 404
    codes = [x["code"] for x in admin.get("/api/v1/reports/exemption-reasons").json["items"]]
    assert "beyond_policy" not in codes and codes[-1] == "other"
    assert _audit(world, "exemption_reason.create") == 1 and _audit(world, "exemption_reason.delete") == 1


def test_score_schemes_are_versioned(world):
    admin = world.client("admin")
    r = admin.post("/api/v1/reports/score-schemes", json={"weight_on_time": 50})
    assert (
        r.status_code == 422 and r.json["error"]["field"] == "weight_on_time" and "100" in r.json["error"]["message_zh"]
    )
    r = admin.post("/api/v1/reports/score-schemes", json={"weight_on_time": "40"})
    assert r.status_code == 422
    r = admin.post(
        "/api/v1/reports/score-schemes",
        json={"weight_on_time": 40, "weight_accepted": 0, "red_card_penalty": 5, "note": "加重按期办结"},
    )
    assert r.status_code == 201 and r.json["version"] == 1 and r.json["weight_resolution"] == 30
    r = admin.post("/api/v1/reports/score-schemes", json={"yellow_card_penalty": 0.5})
    assert r.json["version"] == 2 and r.json["weight_on_time"] == 40 and r.json["red_card_penalty"] == 5
    body = world.client("supervisor").get("/api/v1/reports/score-schemes").json
    assert body["active"]["version"] == 2 and [v["version"] for v in body["versions"]] == [2, 1]
    assert body["default"]["weight_on_time"] == 30
    with world.app.app_context():
        now = clock.now()
        # The scheme in force at a period's end: October ended before version 1 existed.
        assert scores.scheme_for_period(month_period("2026-10", "Asia/Shanghai"), now=now).version == 0
        assert scores.active_scheme(now).version == 2
        assert scores.active_scheme(now - timedelta(seconds=1)).version == 0
        assert db.session.scalar(db.select(db.func.count(ScoreScheme.id))) == 2
    assert _audit(world, "score_scheme.update") == 2


def test_the_score_on_known_numbers():
    scheme = scores.DEFAULT_SCHEME
    full = {
        "replied_on_time_rate": 1.0,
        "satisfaction_rate": 1.0,
        "resolution_rate": 1.0,
        "accepted_on_time_rate": 1.0,
        "yellow_cards": 0,
        "red_cards": 0,
    }
    assert scores.score(full, scheme) == 100.0
    assert scores.score(full | {"yellow_cards": 2, "red_cards": 1}, scheme) == 95.0
    assert scores.score(full | {"red_cards": 40}, scheme) == 0.0  # floored
    # Nothing to accept: the other three weights count for the whole 100.
    half = full | {"accepted_on_time_rate": None, "replied_on_time_rate": 0.5}
    assert scores.score(half, scheme) == pytest.approx(round(100 * (15 + 30 + 30) / 90, 1))
    assert scores.score(dict.fromkeys(full, None) | {"yellow_cards": 0, "red_cards": 0}, scheme) is None
    rows = [
        {"code": "A", "level": "city", **full},
        {"code": "B", "level": "city", **full},
        {"code": "C", "level": "city", **full, "yellow_cards": 1},
        {"code": "T", "level": "town", **full, "red_cards": 1},
        {"code": "D", "level": "district", **full},
    ]
    scores.score_units(rows, scheme)
    assert [(r["code"], r["rank"]) for r in rows] == [("A", 1), ("B", 1), ("C", 3), ("T", 2), ("D", 1)]


def _page(world, user, path):
    client = world.app.test_client()
    assert client.post("/login", data={"username": user, "password": "password-123"}).status_code == 302
    return client.get(path).get_data(as_text=True)


def test_exemption_model_refuses_two_live_requests(world):
    number = _overdue_ticket(world)
    with world.app.app_context():
        from hotline.reports import services

        ticket = world.get(number)
        services.request_exemption(
            ticket, actor=world.user("staff_a"), now=clock.now(), reason_code="force_majeure", note="a"
        )
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Exemption.id))) == 1
