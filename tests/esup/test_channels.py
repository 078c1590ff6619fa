"""Channels for real: SMS through a local HTTP gateway, e-mail through a local SMTP server;
failures, retries, the failed state, and an admin's retry. Embedded mode (no Redis)."""

import email
import json
import threading
from email import policy

from sqlalchemy import select

from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from hotline.notifications import jobs
from hotline.notifications.models import Notification


def _only(app, template):
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(Notification.template_code == template)))
        assert len(rows) == 1, rows
        db.session.expunge_all()
        return rows[0]


def _sms(world, gateway, **config):
    world.app.config.update(
        {"SMS_GATEWAY_URL": gateway.url, "SMS_GATEWAY_TOKEN": "gw-token", "NOTIFY_RETRY_INTERVALS": (0, 0), **config}
    )


def test_sms_goes_through_the_gateway_as_json_with_token_and_idempotency_key(world, app, gateway):
    _sms(world, gateway)
    world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    n = _only(app, "citizen_confirmation")
    assert (n.channel, n.status, n.attempts, n.last_error) == ("sms", "sent", 1, None)
    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    sent = json.loads(request["body"])
    assert sent == {"to": "13912345678", "text": n.body, "id": n.idempotency_key}
    assert request["headers"]["Authorization"] == "Bearer gw-token"
    assert request["headers"]["Idempotency-Key"] == n.idempotency_key
    assert "已受理" in sent["text"]


def test_a_unit_without_a_mobile_gets_its_message_recorded_only(world, app, gateway):
    _sms(world, gateway)
    world.ticket("dispatched", lead="DEPT-B", request_type="consultation")
    n = _only(app, "unit_ticket_dispatched")
    assert (n.channel, n.status, n.address) == ("outbox", "recorded", None)
    assert len(gateway.requests) == 1  # the citizen's confirmation only


def test_gateway_failures_are_retried_then_failed_then_retried_by_an_admin(world, app, gateway, caplog):
    _sms(world, gateway)
    gateway.script = [503, 500, 502]  # three attempts (1 + two retries), all refused
    world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    n = _only(app, "citizen_confirmation")
    assert (n.status, n.attempts) == ("failed", 3)
    assert n.last_error.startswith("HTTP 502")
    assert len(gateway.requests) == 3
    assert "notification 1 attempt 3/3 failed" in caplog.text
    outbox = world.client("supervisor").get("/api/v1/notifications?status=failed").json
    assert [(i["id"], i["attempts"], i["status_label"]) for i in outbox["items"]] == [(n.id, 3, "发送失败")]

    # Only admins retry, only failed messages; the gateway is back.
    assert world.client("supervisor").post(f"/api/v1/notifications/{n.id}/retry").status_code == 403
    r = world.client("admin").post(f"/api/v1/notifications/{n.id}/retry")
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["attempts"], r.json["last_error"]) == ("sent", 1, None)
    assert len(gateway.requests) == 4
    r = world.client("admin").post(f"/api/v1/notifications/{n.id}/retry")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_failed"
    assert world.client("admin").post("/api/v1/notifications/999/retry").status_code == 404
    assert world.client("admin").post("/api/v1/notifications/abc/retry").status_code == 404
    with app.app_context():
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.retry"))
        assert audit.object_id == str(n.id) and audit.data["last_error"].startswith("HTTP 502")


def test_an_unreachable_gateway_fails_with_a_clear_error(world, app):
    world.app.config.update(SMS_GATEWAY_URL="http://127.0.0.1:9/sms", NOTIFY_RETRY_INTERVALS=())
    world.ticket("pending_dispatch", request_type="consultation")
    n = _only(app, "citizen_confirmation")
    assert n.status == "failed" and n.last_error.startswith("connection failed")


def test_errors_never_keep_the_citizens_number(world, app, gateway):
    _sms(world, gateway, NOTIFY_RETRY_INTERVALS=())
    gateway.script = [(400, b"invalid destination +86 13912345678")]
    world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    n = _only(app, "citizen_confirmation")
    assert n.status == "failed"
    assert n.last_error == "HTTP 400 Bad Request: invalid destination +86 139****5678"


def test_the_delivery_job_run_twice_or_at_once_sends_once(world, app, gateway):
    world.ticket("pending_dispatch", request_type="consultation")  # recorded while no gateway is set
    n = _only(app, "citizen_confirmation")
    _sms(world, gateway)
    with app.app_context():
        db.session.execute(db.update(Notification).values(status="pending", channel="sms"))
        db.session.commit()

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(jobs.attempt(n.id, max_attempts=3))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # One copy sent; the other found the row claimed (busy: rq retries it later) or already sent.
    assert len(gateway.requests) == 1
    assert "sent" in results
    assert all(isinstance(e, jobs.NotificationBusy) for e in errors) and len(results) + len(errors) == 2
    with app.app_context():
        assert jobs.deliver(n.id) == "skipped"
    assert len(gateway.requests) == 1
    assert _only(app, "citizen_confirmation").status == "sent"


def test_a_claim_left_by_a_killed_job_is_taken_over_after_it_goes_stale(world, app, gateway):
    from datetime import timedelta

    world.ticket("pending_dispatch", request_type="consultation")
    n = _only(app, "citizen_confirmation")
    _sms(world, gateway)
    with app.app_context():
        db.session.execute(
            db.update(Notification).values(status="sending", channel="sms", claimed_at=clock.now(), attempts=1)
        )
        db.session.commit()
        try:
            jobs.attempt(n.id, max_attempts=3)
            raise AssertionError("a fresh claim must not be taken over")
        except jobs.NotificationBusy:
            pass
        db.session.execute(db.update(Notification).values(claimed_at=clock.now() - timedelta(minutes=6)))
        db.session.commit()
        assert jobs.attempt(n.id, max_attempts=3) == "sent"
    n = _only(app, "citizen_confirmation")
    assert (n.status, n.attempts) == ("sent", 2) and len(gateway.requests) == 1


def _email_setup(world, smtp_server, **config):
    world.app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        SMTP_FROM="12345热线 <noreply@hotline.example.gov.cn>",
        SMTP_STARTTLS=False,
        NOTIFY_RETRY_INTERVALS=(0,),
        **config,
    )
    admin = world.client("admin")
    r = admin.patch(
        "/api/v1/notification-templates/unit_ticket_dispatched",
        json={"channel": "email", "subject": "新工单：{ticket_number}"},
    )
    assert r.status_code == 200, r.json
    assert (
        admin.patch("/api/v1/unit-contacts/DEPT-A", json={"notify_email": "hrss@dept.example.gov.cn"}).status_code
        == 200
    )


def test_email_goes_through_smtp_with_subject_and_message_id(world, app, smtp_server):
    _email_setup(world, smtp_server, SMTP_USER="hotline", SMTP_PASSWORD="mail-secret")
    number = world.ticket("dispatched", lead="DEPT-A", request_type="consultation")
    n = _only(app, "unit_ticket_dispatched")
    assert (n.channel, n.status, n.subject) == ("email", "sent", f"新工单：{number}")
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["to"] == ["hrss@dept.example.gov.cn"] and sent["login"] is True
    mail = email.message_from_bytes(sent["data"], policy=policy.default)
    assert mail["Subject"] == f"新工单：{number}"
    assert n.idempotency_key.replace(":", ".") in mail["Message-ID"]
    assert number in mail.get_content()


def test_smtp_refusals_and_silent_servers_fail_the_message(world, app, smtp_server):
    # A refused login leaves this test server silent: the timeout ends the attempt.
    _email_setup(world, smtp_server, SMTP_USER="hotline", SMTP_PASSWORD="wrong", DELIVERY_TIMEOUT=1)
    world.ticket("dispatched", lead="DEPT-A", request_type="consultation")
    n = _only(app, "unit_ticket_dispatched")
    assert (n.status, n.attempts) == ("failed", 2) and n.last_error.startswith("SMTP")
    assert "timed out" in n.last_error
    assert smtp_server.messages == []

    smtp_server.refuse.add("hrss@dept.example.gov.cn")
    world.app.config.update(SMTP_PASSWORD="mail-secret")
    r = world.client("admin").post(f"/api/v1/notifications/{n.id}/retry")
    assert r.json["status"] == "failed" and "mailbox unavailable" in r.json["last_error"]
    assert "h***@dept.example.gov.cn" in r.json["last_error"] and "hrss@" not in r.json["last_error"]
    assert smtp_server.messages == []
