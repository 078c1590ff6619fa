"""Admins: templates, units' contacts, the CLI (notifications, esup), configuration, demo."""

import pytest
from sqlalchemy import func, select

from hotline import ConfigError, create_app
from hotline.audit.models import AuditEvent
from hotline.extensions import db
from hotline.notifications.models import Notification, NotificationTemplate
from hotline.supervision.models import Card, EsupDelivery, RectificationNotice, SupervisionCase
from hotline.units.models import Unit


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_admins_list_and_edit_templates_and_new_messages_use_the_edit(world, app):
    admin = world.client("admin")
    listed = admin.get("/api/v1/notification-templates").json["items"]
    by_code = {t["code"]: t for t in listed}
    assert len(by_code) == 15 and all(t["is_default"] for t in listed)
    assert by_code["citizen_confirmation"]["placeholders"] == ["category", "request_type", "ticket_number"]
    assert by_code["head_red_card"]["audience"] == "unit_head"
    r = admin.patch(
        "/api/v1/notification-templates/citizen_confirmation",
        json={"body": "【示范市12345】工单{ticket_number}已受理。"},
    )
    assert r.status_code == 200, r.json
    assert (r.json["is_default"], r.json["updated_by"], r.json["channel"]) == (False, "admin", "sms")
    number = world.ticket("pending_dispatch", request_type="consultation")
    with app.app_context():
        body = db.session.scalar(select(Notification.body))
        assert body == f"【示范市12345】工单{number}已受理。"
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification_template.update"))
        assert audit.object_id == "citizen_confirmation"
        assert audit.data["before"]["body"].startswith("【12345热线】")
        assert audit.data["after"]["body"] == "【示范市12345】工单{ticket_number}已受理。"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "工单{ticket_number}，电话{caller_phone}"}, "body"),
        ({"body": "{ticket_number.__class__}"}, "body"),
        ({"body": "{ticket_number"}, "body"),
        ({"body": ""}, "body"),
        ({"body": "工单\x00{ticket_number}"}, "body"),
        ({"channel": "email", "subject": " "}, "subject"),  # an e-mail needs a subject
        ({"channel": "fax"}, "channel"),
        ({"subject": "{unknown}"}, "subject"),
        ({"subject": "两行\n主题"}, "subject"),
        ({"body": "x", "priority": "high"}, "priority"),
        ({"body": 12}, "body"),
        ({}, None),
    ],
)
def test_template_edits_with_bad_input_are_refused_and_change_nothing(world, app, body, field):
    r = world.client("admin").patch("/api/v1/notification-templates/citizen_confirmation", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"].get("field") == field
    assert _count(app, NotificationTemplate) == 0
    assert _count(app, AuditEvent, AuditEvent.action.like("notification_template%")) == 0


def test_unknown_templates_are_404(world):
    assert world.client("admin").patch("/api/v1/notification-templates/nope", json={"body": "x"}).status_code == 404


def test_admins_set_units_contacts_normalised_and_audited_masked(world, app):
    admin = world.client("admin")
    r = admin.patch(
        "/api/v1/unit-contacts/DEPT-B",
        json={"notify_phone": "+86 139-1234-5678", "notify_email": "samr@dept.example.gov.cn", "head_name": "郑志刚"},
    )
    assert r.status_code == 200, r.json
    assert r.json == {
        "code": "DEPT-B",
        "name": "市市场监督管理局",
        "notify_phone": "13912345678",
        "notify_email": "samr@dept.example.gov.cn",
        "head_name": "郑志刚",
        "head_phone": None,
    }
    assert admin.get("/api/v1/unit-contacts/DEPT-B").json["notify_phone"] == "13912345678"
    r = admin.patch("/api/v1/unit-contacts/DEPT-B", json={"notify_email": None})
    assert r.json["notify_email"] is None and r.json["notify_phone"] == "13912345678"
    with app.app_context():
        audits = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "unit.contacts")))
        assert audits[0].data["after"]["notify_phone"] == "139****5678"
        assert audits[1].data["before"]["notify_email"] == "s***@dept.example.gov.cn"
    assert admin.get("/api/v1/unit-contacts/NOPE").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notify_phone": "0757-12345678"}, "notify_phone"),  # a landline gets no SMS
        ({"head_phone": "12345"}, "head_phone"),
        ({"notify_email": "not-an-address"}, "notify_email"),
        ({"head_name": "名" * 51}, "head_name"),
        ({"head_name": "a\x07b"}, "head_name"),
        ({"fax": "123"}, "fax"),
        ({}, None),
    ],
)
def test_unit_contacts_refuse_bad_input(world, app, body, field):
    r = world.client("admin").patch("/api/v1/unit-contacts/DEPT-A", json=body)
    assert r.status_code == 422 and r.json["error"].get("field") == field
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "DEPT-A"))
        assert (unit.notify_phone, unit.notify_email, unit.head_name, unit.head_phone) == (None, None, None, None)


# --- the command line -------------------------------------------------------------------


def test_notifications_cli_lists_masked_and_retries_failed(world, app, gateway):
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=())
    gateway.script = [500]
    world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["notifications", "list", "--status", "failed"])
    assert r.exit_code == 0, r.output
    assert "139****5678" in r.output and "13912345678" not in r.output and "1 message(s)" in r.output
    r = runner.invoke(args=["notifications", "retry", "--all-failed"])
    assert r.exit_code == 0 and "queued 1 message(s)" in r.output
    with app.app_context():
        assert db.session.scalar(select(Notification.status)) == "sent"
    r = runner.invoke(args=["notifications", "retry", "1"])
    assert r.exit_code != 0 and "Only a failed notification" in r.output
    r = runner.invoke(args=["notifications", "retry", "99"])
    assert r.exit_code != 0 and "no notification 99" in r.output
    assert runner.invoke(args=["notifications", "retry"]).exit_code != 0


def test_esup_cli_lists_and_replays_dead_letters(world, app, esup, esup_secret):
    app.config.update(ESUP_URL=esup.url, ESUP_SECRET=esup_secret, ESUP_RETRY_INTERVALS=())
    esup.script = [500, 500]
    world.ticket("new", request_type="complaint")
    world.ticket("new", request_type="complaint")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["esup", "dead-letters"])
    assert r.exit_code == 0 and "2 dead letter(s)" in r.output and "HTTP 500" in r.output
    r = runner.invoke(args=["esup", "replay", "--all"])
    assert r.exit_code == 0 and "replaying 2 deliveries" in r.output
    assert len(esup.accepted) == 2
    assert "0 dead letter(s)" in runner.invoke(args=["esup", "dead-letters"]).output
    assert "no dead letters" in runner.invoke(args=["esup", "replay", "--all"]).output
    r = runner.invoke(args=["esup", "replay", "1"])
    assert r.exit_code != 0 and "Only dead or unsent" in r.output
    assert runner.invoke(args=["esup", "replay"]).exit_code != 0


# --- configuration ----------------------------------------------------------------------


def test_delivery_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_SMS_GATEWAY_URL", "https://sms.example/send")
    monkeypatch.setenv("HOTLINE_SMTP_HOST", "mail.example")
    monkeypatch.setenv("HOTLINE_SMTP_FROM", "noreply@example.gov.cn")
    monkeypatch.setenv("HOTLINE_SMTP_STARTTLS", "off")
    monkeypatch.setenv("HOTLINE_NOTIFY_RETRY_INTERVALS", "5, 30")
    monkeypatch.setenv("HOTLINE_ESUP_URL", "https://esup.example/hook")
    monkeypatch.setenv("HOTLINE_ESUP_SECRET", "s3cret")
    app = create_app({"HOTLINE_ENV": "testing", "DATA_DIR": str(tmp_path)})
    assert app.config["SMS_GATEWAY_URL"] == "https://sms.example/send"
    assert app.config["SMTP_STARTTLS"] is False and app.config["SMTP_PORT"] == 587
    assert app.config["NOTIFY_RETRY_INTERVALS"] == (5, 30)
    assert app.config["ESUP_RETRY_INTERVALS"] == (60, 300, 1800, 7200)
    for name, value, fragment in [
        ("HOTLINE_SMTP_STARTTLS", "maybe", "true or false"),
        ("HOTLINE_NOTIFY_RETRY_INTERVALS", "5,soon", "seconds"),
        ("HOTLINE_ESUP_RETRY_INTERVALS", "-1", "negative"),
        ("HOTLINE_ESUP_SECRET", "", "HOTLINE_ESUP_SECRET"),
        ("HOTLINE_SMTP_FROM", "", "HOTLINE_SMTP_FROM"),
    ]:
        with monkeypatch.context() as m:
            m.setenv(name, value)
            with pytest.raises(ConfigError, match=fragment):
                create_app({"HOTLINE_ENV": "testing", "DATA_DIR": str(tmp_path)})


# --- demo ---------------------------------------------------------------------------------


def test_the_demo_has_templates_contacts_cases_and_messages_and_reseeds_nothing(demo):
    app, _ = demo  # seeded once per session (tests/conftest.py)
    runner = app.test_cli_runner()
    with app.app_context():
        counts = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (NotificationTemplate, Notification, SupervisionCase, RectificationNotice, EsupDelivery, Card)
        }
        statuses = set(db.session.scalars(select(SupervisionCase.status)))
        heads = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.head_phone.is_not(None)))
    assert counts["NotificationTemplate"] == 15 and counts["Notification"] > 50
    assert counts["SupervisionCase"] >= 10 and counts["RectificationNotice"] == 3
    assert statuses == {"open", "rectification_ordered", "closed"} and heads >= 5
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "supervision cases added: 0" in second.output
    with app.app_context():
        assert {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (NotificationTemplate, Notification, SupervisionCase, RectificationNotice, EsupDelivery, Card)
        } == counts
