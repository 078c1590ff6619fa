"""The connector to the external e-supervision system, against a real local receiver that
checks the HMAC signature and de-duplicates by Idempotency-Key (embedded mode: attempts
run inline after the commit; the rq runs are in test_jobs_rq.py)."""

import json

from sqlalchemy import select

from hotline.audit.models import AuditEvent
from hotline.extensions import db
from hotline.supervision import connector, jobs
from hotline.supervision.models import EsupDelivery

from .helpers import case_of, fire


def _configure(app, esup, secret, intervals=(0, 0)):
    app.config.update(ESUP_URL=esup.url, ESUP_SECRET=secret, ESUP_RETRY_INTERVALS=intervals)


def _deliveries(app):
    with app.app_context():
        rows = list(db.session.scalars(select(EsupDelivery).order_by(EsupDelivery.id)))
        db.session.expunge_all()
        return rows


def test_without_a_target_deliveries_are_recorded_only(world, app):
    number = world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    assert (d.event, d.status, d.attempts) == ("case.opened", "not_configured", 0)
    assert json.loads(d.body)["ticket"]["number"] == number
    r = world.client("admin").post(f"/api/v1/supervision/deliveries/{d.id}/replay")
    assert r.status_code == 409 and r.json["error"]["code"] == "esup_not_configured"


def test_each_case_and_card_is_sent_signed_with_the_timeline_and_no_phone_number(world, app, esup, esup_secret):
    _configure(app, esup, esup_secret)
    number = world.ticket("accepted", lead="DEPT-A", request_type="complaint", phone="13912345678")
    fire(app, number, "overdue")
    case_id = case_of(app, number)
    assert [d.status for d in _deliveries(app)] == ["delivered", "delivered"]
    assert list(esup.accepted) == [f"case-{case_id}-opened", "card-1"]
    for request in esup.requests:
        headers = request["headers"]
        assert connector.verify(request["body"], esup_secret, headers["X-Hotline-Signature"])
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert b"13912345678" not in request["body"]
    opened = json.loads(esup.accepted[f"case-{case_id}-opened"])
    assert opened["schema"] == "hotline.e-supervision/1" and opened["event"] == "case.opened"
    assert opened["ticket"]["caller_phone"] == "139****5678"
    assert [e["action"] for e in opened["ticket"]["events"]] == ["create"]  # the timeline at intake
    card = json.loads(esup.accepted["card-1"])
    assert card["event"] == "card.recorded"
    assert card["card"]["color"] == "yellow" and card["card"]["unit"] == {
        "code": "DEPT-A",
        "name": "市人力资源和社会保障局",
    }
    assert [e["action"] for e in card["ticket"]["events"]] == ["create", "submit", "dispatch", "accept"]
    assert [c["id"] for c in card["case"]["cards"]] == [1]
    assert esup.requests[1]["headers"]["X-Hotline-Event"] == "card.recorded"


def test_later_changes_to_a_case_are_sent_too(world, app, esup, esup_secret):
    _configure(app, esup, esup_secret)
    number = world.ticket("accepted", lead="DEPT-A", request_type="complaint")
    case_id = case_of(app, number)
    sup, staff = world.client("supervisor"), world.client("staff_a")
    sup.post(f"/api/v1/supervision/cases/{case_id}/orders", json={"kind": "urge", "note": "请尽快 回电13800138000"})
    r = sup.post(
        f"/api/v1/supervision/cases/{case_id}/notices", json={"content": "请整改", "due_at": "2026-11-24T12:00"}
    )
    notice_id = r.json["notices"][0]["id"]
    staff.post(f"/api/v1/supervision/cases/{case_id}/notices/{notice_id}/response", json={"response": "已整改"})
    sup.post(f"/api/v1/supervision/cases/{case_id}/close", json={"note": "结案"})
    assert [json.loads(body)["event"] for body in esup.accepted.values()] == [
        "case.opened",
        "case.order_issued",
        "case.notice_issued",
        "case.notice_responded",
        "case.closed",
    ]
    closed = json.loads(list(esup.accepted.values())[-1])
    assert closed["case"]["status"] == "closed" and closed["case"]["closing_note"] == "结案"
    assert closed["case"]["notices"][0]["response"] == "已整改"
    # A number typed into a note is masked too.
    assert closed["case"]["orders"][0]["note"] == "请尽快 回电138****8000"
    assert "13800138000" not in json.dumps(closed, ensure_ascii=False)


def test_retries_and_a_lost_answer_still_give_the_receiver_each_case_once(world, app, esup, esup_secret):
    _configure(app, esup, esup_secret, intervals=(0, 0, 0))
    esup.script = [500, "accept-then-500", 502]
    world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    assert (d.status, d.attempts) == ("delivered", 4)
    assert len(esup.requests) == 4 and len(esup.accepted) == 1
    assert {r["body"] for r in esup.requests} == {d.body.encode()}


def test_a_wrong_secret_is_refused_by_the_receiver_and_the_delivery_dies(world, app, esup, caplog):
    _configure(app, esup, "not-the-shared-secret", intervals=(0,))
    world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    assert (d.status, d.attempts) == ("dead", 2) and d.last_error.startswith("HTTP 401")
    assert esup.accepted == {}
    assert "e-supervision delivery 1 attempt 2/2 failed" in caplog.text


def test_dead_letters_are_listed_and_replayed_by_admins_with_the_same_key(world, app, esup, esup_secret):
    _configure(app, esup, esup_secret, intervals=(0,))
    esup.script = [503, 503]
    world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    assert d.status == "dead"
    admin = world.client("admin")
    listed = admin.get("/api/v1/supervision/deliveries?status=dead").json
    assert [(i["id"], i["event"], i["attempts"], i["last_error"][:8]) for i in listed["items"]] == [
        (d.id, "case.opened", 2, "HTTP 503")
    ]
    assert world.client("supervisor").post(f"/api/v1/supervision/deliveries/{d.id}/replay").status_code == 403
    r = admin.post(f"/api/v1/supervision/deliveries/{d.id}/replay")
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["replays"], r.json["attempts"]) == ("delivered", 1, 1)
    assert list(esup.accepted) == [d.idempotency_key]
    again = admin.post(f"/api/v1/supervision/deliveries/{d.id}/replay")
    assert again.status_code == 409 and again.json["error"]["code"] == "not_replayable"
    assert admin.post("/api/v1/supervision/deliveries/12345/replay").status_code == 404
    with app.app_context():
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "esup_delivery.replay"))
        assert audit.data["was"] == "dead" and audit.data["key"] == d.idempotency_key
    for query, field in [("status=lost", "status"), ("case=0", "case"), ("case=x", "case")]:
        r = admin.get(f"/api/v1/supervision/deliveries?{query}")
        assert r.status_code == 422 and r.json["error"]["field"] == field
    assert admin.get(f"/api/v1/supervision/deliveries?case={d.case_id}").json["total"] == 1


def test_the_delivery_job_run_again_sends_nothing_more(world, app, esup, esup_secret):
    _configure(app, esup, esup_secret)
    world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    with app.app_context():
        assert jobs.deliver(d.id) == "skipped"
        assert jobs.deliver(d.id) == "skipped"
    assert len(esup.requests) == 1


def test_a_target_removed_after_recording_leaves_the_delivery_not_configured(world, app, esup, esup_secret):
    world.ticket("new", request_type="complaint")
    [d] = _deliveries(app)
    with app.app_context():
        db.session.execute(db.update(EsupDelivery).values(status="pending"))
        db.session.commit()
        assert jobs.deliver(d.id) == "not_configured"
    assert _deliveries(app)[0].status == "not_configured" and esup.requests == []


def test_signatures(esup_secret):
    body = '{"a":"监察"}'.encode()
    signature = connector.sign(body, esup_secret)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert connector.verify(body, esup_secret, signature)
    assert not connector.verify(body + b" ", esup_secret, signature)
    assert not connector.verify(body, "other", signature)
    assert not connector.verify(body, esup_secret, None)
