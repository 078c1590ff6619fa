"""Admin API: policies and calendar days are validated, audited, and bad input changes nothing."""

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.extensions import db
from hotline.sla.models import CalendarDay, SlaPolicy

POLICY = {"name": "一般件", "accept_hours": 2, "reply_hours": 22}


def snapshot(app):
    with app.app_context():
        policies = [
            (p.name, p.request_type, p.urgency, p.reply_hours, p.accept_hours, p.version)
            for p in db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))
        ]
        days = [(d.day, d.is_working) for d in db.session.scalars(select(CalendarDay))]
        audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
        return policies, days, audits


def test_admin_creates_lists_and_changes_a_policy_audited(world, app):
    admin = world.client("admin")
    r = admin.post("/api/v1/sla/policies", json=POLICY)
    assert r.status_code == 201, r.json
    created = r.json
    assert created["request_type"] == created["urgency"] == "*" and created["warn_ratio"] == 0.8
    assert created["red_ratio"] == 2.0 and created["clock_mode"] == "natural" and created["version"] == 1
    r = admin.patch(f"/api/v1/sla/policies/{created['id']}", json={"accept_hours": None, "clock_mode": "working"})
    assert r.status_code == 200 and r.json["accept_hours"] is None and r.json["version"] == 2
    listed = world.client("supervisor").get("/api/v1/sla/policies").json
    assert [p["id"] for p in listed["items"]] == [created["id"]] and listed["default"]["reply_hours"] == 22
    with app.app_context():
        audits = db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "sla_policy")).all()
        assert [a.action for a in audits] == ["sla_policy.create", "sla_policy.update"]
        assert audits[1].data["before"] == {"accept_hours": 2.0, "clock_mode": "natural"}
        assert audits[1].actor_id == world.user_ids["admin"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**POLICY, "reply_hours": 0}, "reply_hours"),
        ({**POLICY, "reply_hours": 721}, "reply_hours"),
        ({**POLICY, "reply_hours": "22"}, "reply_hours"),
        ({**POLICY, "accept_hours": 30}, "accept_hours"),
        ({**POLICY, "warn_ratio": 1.0}, "warn_ratio"),
        ({**POLICY, "red_ratio": 0.5}, "red_ratio"),
        ({**POLICY, "clock_mode": "lunar"}, "clock_mode"),
        ({**POLICY, "request_type": "gossip"}, "request_type"),
        ({**POLICY, "urgency": "whenever"}, "urgency"),
        ({**POLICY, "working_hours": "9-5"}, "working_hours"),
        ({**POLICY, "working_hours": "08:30-12:00,11:00-18:00"}, "working_hours"),
        ({**POLICY, "name": "坏\x00名字"}, "name"),
        ({**POLICY, "surprise": 1}, "surprise"),
        ({"name": "缺少时限"}, "reply_hours"),
    ],
)
def test_bad_policies_are_refused_with_the_field_named_and_change_nothing(world, app, body, field):
    before = snapshot(app)
    r = world.client("admin").post("/api/v1/sla/policies", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["field"] == field and r.json["error"]["message_zh"]
    assert snapshot(app) == before


def test_policy_conflicts_and_unknown_ids(world, app):
    admin = world.client("admin")
    first = admin.post("/api/v1/sla/policies", json=POLICY).json
    other = admin.post("/api/v1/sla/policies", json={**POLICY, "urgency": "urgent", "reply_hours": 4}).json
    before = snapshot(app)
    r = admin.post("/api/v1/sla/policies", json=POLICY)
    assert r.status_code == 409 and r.json["error"]["code"] == "duplicate"
    r = admin.patch(f"/api/v1/sla/policies/{other['id']}", json={"urgency": "*"})
    assert r.status_code == 409 and r.json["error"]["field"] == "request_type"
    r = admin.patch(f"/api/v1/sla/policies/{first['id']}", json={"accept_hours": 40})
    assert r.status_code == 422 and r.json["error"]["field"] == "accept_hours"
    for bad in ("999999", "abc", "１", "-1"):
        r = admin.patch(f"/api/v1/sla/policies/{bad}", json={"reply_hours": 20})
        assert r.status_code == 404, bad
    r = admin.patch(f"/api/v1/sla/policies/{first['id']}", data=b"{not json", content_type="application/json")
    assert r.status_code == 400
    assert snapshot(app) == before


def test_calendar_days_are_entered_listed_and_deleted_audited(world, app):
    admin = world.client("admin")
    r = admin.post("/api/v1/sla/calendar/days", json={"date": "2027-02-06", "is_working": False, "note": "春节"})
    assert r.status_code == 201 and r.json == {"date": "2027-02-06", "is_working": False, "note": "春节"}
    r = admin.post("/api/v1/sla/calendar/days", json={"date": "2027-02-14", "is_working": True, "note": "调休上班"})
    assert r.status_code == 201
    assert admin.post("/api/v1/sla/calendar/days", json={"date": "2027-02-06", "is_working": True}).status_code == 409
    listed = world.client("supervisor").get("/api/v1/sla/calendar/days?year=2027").json["items"]
    assert [d["date"] for d in listed] == ["2027-02-06", "2027-02-14"]
    assert world.client("admin").get("/api/v1/sla/calendar/days?year=2026").json["items"] == []
    assert admin.delete("/api/v1/sla/calendar/days/2027-02-14").status_code == 204
    assert admin.delete("/api/v1/sla/calendar/days/2027-02-14").status_code == 404
    assert admin.delete("/api/v1/sla/calendar/days/not-a-date").status_code == 404
    with app.app_context():
        actions = [
            a.action for a in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "calendar_day"))
        ]
        assert actions == ["calendar_day.create", "calendar_day.create", "calendar_day.delete"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2027-02-30", "is_working": False}, "date"),
        ({"date": "27-2-6", "is_working": False}, "date"),
        ({"date": "1999-01-01", "is_working": False}, "date"),
        ({"date": "2027-02-06", "is_working": "no"}, "is_working"),
        ({"date": "2027-02-06"}, "is_working"),
        ({"date": "2027-02-06", "is_working": False, "note": "x" * 101}, "note"),
    ],
)
def test_bad_calendar_days_are_refused_and_change_nothing(world, app, body, field):
    before = snapshot(app)
    r = world.client("admin").post("/api/v1/sla/calendar/days", json=body)
    assert r.status_code == 422 and r.json["error"]["field"] == field, r.json
    assert snapshot(app) == before


def test_bad_queries_are_refused(world):
    r = world.client("admin").get("/api/v1/sla/calendar/days?year=abc")
    assert r.status_code == 422 and r.json["error"]["field"] == "year"
    r = world.client("admin").get("/api/v1/admin/jobs/failed?limit=0")
    assert r.status_code == 422 and r.json["error"]["field"] == "limit"


def test_inline_job_failures_are_listed_for_admins_only(world, app):
    from hotline.core import jobs

    with app.app_context():
        jobs.enqueue("hotline.sla.jobs.sweep", "not-a-time", queue="escalation")
        db.session.commit()  # the inline job runs after the commit, fails, and is recorded
    items = world.client("admin").get("/api/v1/admin/jobs/failed").json["items"]
    assert [(i["source"], i["path"], i["args"], i["queue"]) for i in items] == [
        ("inline", "hotline.sla.jobs.sweep", ["not-a-time"], "escalation")
    ]
    assert "ValueError" in items[0]["error"]
    assert world.client("supervisor").get("/api/v1/admin/jobs/failed").status_code == 403
    r = app.test_cli_runner().invoke(args=["jobs", "failed"])
    assert r.exit_code == 0 and "hotline.sla.jobs.sweep" in r.output and "1 failed job(s)" in r.output
