"""Which event sends which message, once; and the outbox API (masked, for supervisors and admins)."""

import json
import logging

from sqlalchemy import select

from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.tickets.models import Ticket
from hotline.units.models import Unit

from .helpers import fire


def messages(app, number=None):
    """(template, recipient type, recipient, channel, status) of the outbox, oldest first."""
    with app.app_context():
        stmt = select(Notification).order_by(Notification.id)
        if number:
            stmt = stmt.join(Ticket, Ticket.id == Notification.ticket_id).where(Ticket.number == number)
        return [
            (n.template_code, n.recipient_type, n.recipient_label, n.channel, n.status)
            for n in db.session.scalars(stmt)
        ]


def templates_sent(app, number=None):
    return [m[0] for m in messages(app, number)]


def test_a_ticket_answered_on_the_call_sends_nothing(world, app):
    number = world.ticket("closed_answered", request_type="consultation")
    assert messages(app, number) == []


def test_the_citizen_is_confirmed_on_submit_with_the_ticket_number(world, app):
    number = world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    assert messages(app, number) == [("citizen_confirmation", "citizen", "来电人", "outbox", "recorded")]
    with app.app_context():
        n = db.session.scalar(select(Notification))
        assert n.address == "13912345678"
        assert number in n.body and "已受理" in n.body
        assert n.attempts == 1 and n.sent_at is not None


def test_dispatch_tells_the_lead_and_assisting_units(world, app):
    number = world.ticket("dispatched", lead="DEPT-A", assists=["DEPT-C"], request_type="consultation")
    assert messages(app, number)[1:] == [
        ("unit_ticket_dispatched", "unit", "DEPT-A", "outbox", "recorded"),
        ("unit_ticket_dispatched", "unit", "DEPT-C", "outbox", "recorded"),
    ]
    with app.app_context():
        body = db.session.scalar(
            select(Notification.body).where(Notification.template_code == "unit_ticket_dispatched").limit(1)
        )
    # 22 hours after dispatch (02:02 UTC = 10:02 Shanghai), in Shanghai time.
    assert "市人力资源和社会保障局" in body and "2026-11-22 08:02" in body and "咨询" in body


def test_the_whole_life_sends_each_message_once(world, app):
    number = world.ticket("closed", lead="DEPT-A", request_type="consultation")
    assert templates_sent(app, number) == [
        "citizen_confirmation",
        "unit_ticket_dispatched",
        "citizen_reply_ready",
        "citizen_evaluation",
    ]


def test_a_dissatisfied_callback_reopens_to_the_unit_and_invites_no_evaluation(world, app):
    number = world.ticket("reopened", lead="DEPT-B", request_type="consultation")
    assert templates_sent(app, number) == [
        "citizen_confirmation",
        "unit_ticket_dispatched",
        "citizen_reply_ready",
        "unit_ticket_reopened",
    ]
    assert messages(app, number)[-1][2] == "DEPT-B"


def test_urge_and_supervise_orders_reach_the_lead_unit(world, app):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    sup = world.client("supervisor")
    assert sup.post(f"/api/v1/tickets/{number}/urge", json={"note": "请今日内答复"}).status_code == 200
    assert sup.post(f"/api/v1/tickets/{number}/supervise", json={"note": "列入督办"}).status_code == 200
    assert messages(app, number)[-2:] == [
        ("unit_urge", "unit", "DEPT-A", "outbox", "recorded"),
        ("unit_supervise", "unit", "DEPT-A", "outbox", "recorded"),
    ]
    with app.app_context():
        assert "请今日内答复" in db.session.scalar(
            select(Notification.body).where(Notification.template_code == "unit_urge")
        )
    # An urge before dispatch has no unit to tell.
    early = world.ticket("pending_dispatch", request_type="consultation")
    assert sup.post(f"/api/v1/tickets/{early}/urge", json={"note": "请尽快派单"}).status_code == 200
    assert templates_sent(app, early) == ["citizen_confirmation"]


def test_deadline_signals_send_warning_overdue_and_red_card_messages(world, app):
    with app.app_context():
        world.add_user("supervisor2", "supervisor")
        db.session.commit()
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    before = len(messages(app, number))
    fire(app, number, "warning")
    fire(app, number, "overdue")
    fire(app, number, "red")
    sent = [(m[0], m[1], m[2]) for m in messages(app, number)[before:]]
    assert sent == [
        ("unit_deadline_warning", "unit", "DEPT-A"),
        ("unit_overdue", "unit", "DEPT-A"),
        ("supervisor_overdue", "user", "supervisor"),
        ("supervisor_overdue", "user", "supervisor2"),
        ("head_red_card", "unit_head", "DEPT-A 负责人"),
        ("supervisor_red_card", "user", "supervisor"),
        ("supervisor_red_card", "user", "supervisor2"),
    ]
    with app.app_context():
        warning = db.session.scalar(select(Notification).where(Notification.template_code == "unit_deadline_warning"))
        assert "答复期限将于2026-11-22 08:02到期" in warning.body


def test_a_repeated_signal_or_event_doubles_nothing(world, app):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    for _ in range(3):
        fire(app, number, "overdue")
        fire(app, number, "red")
    counts = {}
    for template in templates_sent(app, number):
        counts[template] = counts.get(template, 0) + 1
    assert counts["unit_overdue"] == 1 and counts["supervisor_overdue"] == 1
    assert counts["head_red_card"] == 1 and counts["supervisor_red_card"] == 1
    # Another deadline of the same ticket (a reopen starts one) is another event.
    world.client("staff_a").post(
        f"/api/v1/tickets/{number}/reply", json={"content": "已处理", "confirm_warnings": True}
    )
    r = world.client("operator").post(
        f"/api/v1/tickets/{number}/callback", json={"satisfaction": "dissatisfied", "resolved": False}
    )
    assert r.json["reopen_count"] == 1
    fire(app, number, "overdue")
    assert templates_sent(app, number).count("unit_overdue") == 2


def test_a_red_card_goes_to_the_heads_phone(world, app):
    admin = world.client("admin")
    r = admin.patch("/api/v1/unit-contacts/DEPT-A", json={"head_name": "周建国", "head_phone": "139 0000 0101"})
    assert r.status_code == 200 and r.json["head_phone"] == "13900000101"
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    fire(app, number, "red")
    with app.app_context():
        n = db.session.scalar(select(Notification).where(Notification.template_code == "head_red_card"))
        assert n.address == "13900000101" and n.recipient_label == "DEPT-A 负责人 周建国"
        assert n.body.startswith("【电子监察·红牌】周建国您好")


def test_a_signal_of_an_unknown_kind_or_without_unit_is_logged_and_sends_nothing(world, app, caplog):
    from hotline.core import clock, signals

    from .helpers import deadline_of

    number = world.ticket("accepted", request_type="consultation")
    before = len(messages(app))
    with app.app_context(), caplog.at_level(logging.ERROR):
        ticket = world.get(number)
        signals.deadline_reached.send(
            deadline_of(ticket), ticket=ticket, kind="purple", unit_id=ticket.lead_unit_id, now=clock.now()
        )
        signals.deadline_reached.send(deadline_of(ticket), ticket=ticket, kind="overdue", unit_id=None, now=clock.now())
        db.session.commit()
    assert len(messages(app)) == before
    assert "unknown kind 'purple'" in caplog.text and "names no unit" in caplog.text


def test_an_article_past_its_review_date_reaches_its_owner_units_mobile_once(world, app, gateway):
    from datetime import timedelta

    from hotline.core import clock, jobs, signals

    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(0, 0))
    admin = world.client("admin")
    assert admin.patch("/api/v1/unit-contacts/DEPT-A", json={"notify_phone": "13800000101"}).status_code == 200
    article = world.article(status="published", owner_unit="DEPT-A", title="社保卡丢失怎么补办")
    orphan = world.article(status="published", title="无主条目")
    with app.app_context():  # the app's (frozen) clock, not the machine's: they differ in date after 16:00 UTC
        yesterday = clock.local(clock.now()).date() - timedelta(days=1)
    for article_id in (article, orphan):
        r = world.client("kb_editor").patch(f"/api/v1/kb/articles/{article_id}", json={"review_by": str(yesterday)})
        assert r.status_code == 200
    for _ in range(2):  # the hourly job, twice
        jobs.run_inline(app, jobs.JobSpec("knowledge_base.tasks.flag_review_due"))
    # The receiver alone, signalled again: the key is taken, nothing is recorded.
    with app.app_context():
        from knowledge_base.models import Article

        again = signals.article_review_due.send(db.session.get(Article, article), review_by=yesterday, now=clock.now())
        assert [result for _, result in again] == [None]
        db.session.commit()
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "DEPT-A"))
    key = f"kb-article:{article}:review-due:{yesterday}:unit:{unit_id}"
    assert messages(app) == [("unit_kb_review_due", "unit", "DEPT-A", "sms", "sent")]
    assert len(gateway.requests) == 1
    sent = json.loads(gateway.requests[0]["body"])
    assert (sent["to"], sent["id"]) == ("13800000101", key)
    assert gateway.requests[0]["headers"]["Idempotency-Key"] == key
    assert "《社保卡丢失怎么补办》" in sent["text"] and str(yesterday) in sent["text"]
    # The supervisors' outbox lists it with no ticket.
    items = world.client("supervisor").get("/api/v1/notifications?template=unit_kb_review_due").json["items"]
    assert [(i["recipient"], i["ticket"], i["template_label"]) for i in items] == [
        ("DEPT-A", None, "知识条目到期复审（成员单位）")
    ]


# --- the outbox API -------------------------------------------------------------------


def test_the_outbox_shows_status_and_masked_recipients_to_supervisors_and_admins(world, app):
    number = world.ticket("replied", lead="DEPT-A", request_type="consultation", phone="13912345678")
    for role in ("supervisor", "admin"):
        r = world.client(role).get(f"/api/v1/notifications?ticket={number}")
        assert r.status_code == 200, r.json
        assert r.json["total"] == 3
        items = {i["template"]: i for i in r.json["items"]}
        citizen = items["citizen_confirmation"]
        assert citizen["address"] == "139****5678" and citizen["recipient"] == "来电人"
        assert citizen["status"] == "recorded" and citizen["status_label"] == "仅记录"
        assert citizen["channel"] == "outbox" and citizen["attempts"] == 1 and citizen["sent_at"].endswith("+08:00")
        assert citizen["template_label"] == "办件确认（来电人）"
        assert "13912345678" not in json.dumps(r.json)
    r = world.client("supervisor").get("/api/v1/notifications?template=unit_ticket_dispatched&status=recorded")
    assert [i["recipient"] for i in r.json["items"]] == ["DEPT-A"]
    assert world.client("supervisor").get("/api/v1/notifications?status=failed").json["total"] == 0


def test_the_outbox_refuses_other_roles_and_bad_queries(world, app):
    for role in ("operator", "dispatcher", "kb_editor", "staff_a"):
        assert world.client(role).get("/api/v1/notifications").status_code == 403
    sup = world.client("supervisor")
    for query, field in [
        ("ticket=20991231-999999", "ticket"),
        ("status=lost", "status"),
        ("template=spam", "template"),
        ("per_page=0", "per_page"),
        ("page=x", "page"),
        ("colour=red", "colour"),
        ("ticket=a%00b", "ticket"),
    ]:
        r = sup.get(f"/api/v1/notifications?{query}")
        assert r.status_code == 422 and r.json["error"]["field"] == field, (query, r.json)
