"""Supervision cases: opened at intake for complaints and by supervisors; orders, notices,
responses, closing; who sees what; bad input changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.supervision.models import CaseOrder, RectificationNotice, SupervisionCase
from hotline.tickets.models import TicketEvent

from .helpers import case_of, issue_notice, open_case_id


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _actions(app, action_prefix):
    with app.app_context():
        return [
            a.action
            for a in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like(f"{action_prefix}%")).order_by(AuditEvent.id)
            )
        ]


def test_every_complaint_opens_a_case_at_intake_and_dispatch_names_its_unit(world, app):
    complaint = world.ticket("new", request_type="complaint")
    consultation = world.ticket("new", request_type="consultation")
    assert case_of(app, consultation) is None
    case_id = case_of(app, complaint)
    sup = world.client("supervisor")
    case = sup.get(f"/api/v1/supervision/cases/{case_id}").json
    assert (case["origin"], case["status"], case["unit"], case["ticket"]) == ("complaint", "open", None, complaint)
    assert case["opened_by"] == "operator" and case["status_label"] == "办理中"

    r = world.client("operator").post(f"/api/v1/tickets/{complaint}/submit")
    assert r.status_code == 200
    r = world.client("dispatcher").post(f"/api/v1/tickets/{complaint}/dispatch", json={"lead_unit": "DEPT-B"})
    assert r.status_code == 200
    assert sup.get(f"/api/v1/supervision/cases/{case_id}").json["unit"] == "DEPT-B"
    assert _actions(app, "supervision_case") == ["supervision_case.open", "supervision_case.unit"]


def test_a_supervisor_opens_a_case_on_any_ticket_once(world, app):
    number = world.ticket("closed", request_type="consultation", lead="DEPT-A")
    sup = world.client("supervisor")
    r = sup.post("/api/v1/supervision/cases", json={"ticket": number, "reason": "回访发现办理敷衍"})
    assert r.status_code == 201, r.json
    assert (r.json["origin"], r.json["unit"], r.json["reason"], r.json["opened_by"]) == (
        "supervisor",
        "DEPT-A",
        "回访发现办理敷衍",
        "supervisor",
    )
    again = sup.post("/api/v1/supervision/cases", json={"ticket": number, "reason": "再次立案"})
    assert again.status_code == 409 and again.json["error"]["code"] == "case_open"
    assert _count(app, SupervisionCase) == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"ticket": "20991231-000001", "reason": "x"}, 422, "ticket"),
        ({"ticket": "T", "reason": ""}, 422, "reason"),
        ({"ticket": "T"}, 422, "reason"),
        ({"ticket": "T", "reason": "x", "extra": 1}, 422, "extra"),
        ({"ticket": 5, "reason": "x"}, 422, "ticket"),
        ({"ticket": "T", "reason": "bad\x00text"}, 422, "reason"),
        ({"ticket": "T", "reason": "长" * 2001}, 422, "reason"),
        ([], 400, None),
    ],
)
def test_opening_a_case_refuses_bad_input_and_changes_nothing(world, app, body, status, field):
    number = world.ticket("new", request_type="consultation")
    if isinstance(body, dict) and body.get("ticket") == "T":
        body = {**body, "ticket": number}
    r = world.client("supervisor").post("/api/v1/supervision/cases", json=body)
    assert r.status_code == status, r.json
    assert r.json["error"].get("field") == field
    assert _count(app, SupervisionCase) == 0


def test_malformed_bodies_are_400(world):
    case_id = open_case_id(world, world.ticket("dispatched"))
    sup = world.client("supervisor")
    for path in ("/api/v1/supervision/cases", f"/api/v1/supervision/cases/{case_id}/orders"):
        r = sup.post(path, data=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"
        r = sup.post(path, data=b"\xff\xfe", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_utf8"


def test_case_orders_on_an_open_ticket_are_the_tickets_urge_and_supervise(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    case_id = case_of(app, number)
    sup = world.client("supervisor")
    r = sup.post(f"/api/v1/supervision/cases/{case_id}/orders", json={"kind": "urge", "note": "请今日内答复"})
    assert r.status_code == 201, r.json
    assert [(o["kind"], o["kind_label"], o["unit"], o["note"]) for o in r.json["orders"]] == [
        ("urge", "催办", "DEPT-A", "请今日内答复")
    ]
    # The ticket's own supervise action lands on the same case.
    assert sup.post(f"/api/v1/tickets/{number}/supervise", json={"note": "列入督办"}).status_code == 200
    case = sup.get(f"/api/v1/supervision/cases/{case_id}").json
    assert [o["kind"] for o in case["orders"]] == ["urge", "supervise"]
    ticket = sup.get(f"/api/v1/tickets/{number}").json
    assert [e["action"] for e in ticket["events"]][-2:] == ["urge", "supervise"]
    with app.app_context():
        linked = db.session.scalars(select(CaseOrder.ticket_event_id).order_by(CaseOrder.id)).all()
        events = db.session.scalars(
            select(TicketEvent.id).where(TicketEvent.action.in_(["urge", "supervise"])).order_by(TicketEvent.id)
        ).all()
        assert linked == events
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.template_code.in_(["unit_urge", "unit_supervise"]))
            )
            == 2
        )


def test_an_order_on_a_finished_ticket_is_recorded_on_the_case_and_sent_to_the_unit(world, app):
    number = world.ticket("closed", lead="DEPT-A")
    case_id = case_of(app, number)
    r = world.client("supervisor").post(
        f"/api/v1/supervision/cases/{case_id}/orders", json={"kind": "supervise", "note": "请说明办理情况"}
    )
    assert r.status_code == 201 and r.json["orders"][0]["unit"] == "DEPT-A"
    with app.app_context():
        assert db.session.scalar(select(CaseOrder.ticket_event_id)) is None
        n = db.session.scalar(select(Notification).where(Notification.template_code == "unit_supervise"))
        assert n.recipient_label == "DEPT-A" and "请说明办理情况" in n.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "scold", "note": "x"}, "kind"),
        ({"kind": "urge"}, "note"),
        ({"kind": "urge", "note": "   "}, "note"),
        ({"kind": "urge", "note": "x", "unit": "DEPT-B"}, "unit"),
    ],
)
def test_orders_refuse_bad_input(world, app, body, field):
    case_id = case_of(app, world.ticket("accepted"))
    r = world.client("supervisor").post(f"/api/v1/supervision/cases/{case_id}/orders", json=body)
    assert r.status_code == 422 and r.json["error"]["field"] == field
    assert _count(app, CaseOrder) == 0


def test_a_rectification_notice_the_unit_answers_then_the_case_is_closed(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    case_id = case_of(app, number)
    sup, staff = world.client("supervisor"), world.client("staff_a")
    r = sup.post(
        f"/api/v1/supervision/cases/{case_id}/notices",
        json={"content": "请查明超时原因并整改", "due_at": "2026-11-23T18:00"},
    )
    assert r.status_code == 201, r.json
    assert r.json["status"] == "rectification_ordered"
    notice = r.json["notices"][0]
    assert notice["unit"] == "DEPT-A" and notice["due_at"] == "2026-11-23T18:00:00+08:00"
    assert notice["status"] == "issued" and notice["is_overdue"] is False
    with app.app_context():
        n = db.session.scalar(select(Notification).where(Notification.template_code == "unit_rectification"))
        assert "2026-11-23 18:00" in n.body and "请查明超时原因并整改" in n.body

    # Closing waits for the unit's response.
    r = sup.post(f"/api/v1/supervision/cases/{case_id}/close", json={"note": "结案"})
    assert r.status_code == 409 and r.json["error"]["code"] == "rectification_pending"

    # The due date is read against now: past it, the notice shows overdue.
    app.config["CLOCK"] = lambda: clock.parse_iso("2026-11-23T19:00")
    assert sup.get(f"/api/v1/supervision/cases/{case_id}").json["notices"][0]["is_overdue"] is True
    path = f"/api/v1/supervision/cases/{case_id}/notices/{notice['id']}/response"
    assert staff.post(path, json={"response": ""}).json["error"]["field"] == "response"
    r = staff.post(path, json={"response": "已约谈经办人，建立台账，今后按时签收。"})
    assert r.status_code == 200, r.json
    answered = r.json["notices"][0]
    assert (answered["status"], answered["is_overdue"], answered["responded_by"]) == ("responded", False, "staff_a")
    assert r.json["status"] == "open"
    again = staff.post(path, json={"response": "再次反馈"})
    assert again.status_code == 409 and again.json["error"]["code"] == "notice_responded"

    r = sup.post(f"/api/v1/supervision/cases/{case_id}/close", json={"note": "整改到位，结案。"})
    assert r.status_code == 200
    assert (r.json["status"], r.json["closing_note"], r.json["closed_by"]) == (
        "closed",
        "整改到位，结案。",
        "supervisor",
    )
    for path, body in [
        (f"/api/v1/supervision/cases/{case_id}/close", {"note": "again"}),
        (f"/api/v1/supervision/cases/{case_id}/orders", {"kind": "urge", "note": "x"}),
        (f"/api/v1/supervision/cases/{case_id}/notices", {"content": "x", "due_at": "2026-12-01T00:00"}),
    ]:
        r = sup.post(path, json=body)
        assert r.status_code == 409 and r.json["error"]["code"] == "case_closed"
    assert _actions(app, "rectification_notice") == ["rectification_notice.issue", "rectification_notice.respond"]
    assert _actions(app, "supervision_case.close") == ["supervision_case.close"]
    # A closed case makes room for a new one on the same ticket.
    r = sup.post("/api/v1/supervision/cases", json={"ticket": number, "reason": "群众再次投诉"})
    assert r.status_code == 201 and r.json["id"] != case_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x", "due_at": "2026-11-21T09:00:00+08:00"}, "due_at"),  # in the past
        ({"content": "x", "due_at": "next tuesday"}, "due_at"),
        ({"content": "x", "due_at": "2026-13-01T00:00"}, "due_at"),
        ({"content": "x", "due_at": 1764000000}, "due_at"),
        ({"content": "", "due_at": "2026-11-25T18:00"}, "content"),
        ({"content": "x", "due_at": "2026-11-25T18:00", "unit": "NOPE"}, "unit"),
        ({"content": "x", "due_at": "2026-11-25T18:00", "unit": "bad code!"}, "unit"),
        ({"due_at": "2026-11-25T18:00"}, "content"),
    ],
)
def test_notices_refuse_bad_input_and_change_nothing(world, app, body, field):
    case_id = case_of(app, world.ticket("accepted"))
    r = world.client("supervisor").post(f"/api/v1/supervision/cases/{case_id}/notices", json=body)
    assert r.status_code == 422 and r.json["error"]["field"] == field, r.json
    assert _count(app, RectificationNotice) == 0
    assert world.client("supervisor").get(f"/api/v1/supervision/cases/{case_id}").json["status"] == "open"


def test_a_case_without_a_unit_needs_the_notice_unit_named(world, app):
    case_id = case_of(app, world.ticket("new"))
    sup = world.client("supervisor")
    r = sup.post(f"/api/v1/supervision/cases/{case_id}/notices", json={"content": "x", "due_at": "2026-11-25T18:00"})
    assert r.status_code == 422 and r.json["error"]["field"] == "unit"
    r = sup.post(
        f"/api/v1/supervision/cases/{case_id}/notices",
        json={"content": "请规范受理", "due_at": "2026-11-25T18:00", "unit": "DEPT-C"},
    )
    assert r.status_code == 201 and r.json["notices"][0]["unit"] == "DEPT-C"


def test_units_see_only_their_own_cases_cards_and_notices(world, app):
    own = world.ticket("accepted", lead="DEPT-A")
    other = world.ticket("accepted", lead="DEPT-B")
    own_case, other_case = case_of(app, own), case_of(app, other)
    # A notice to DEPT-C on DEPT-B's case: DEPT-C sees that case, but only its own notice.
    issue_notice(world, other_case, unit="DEPT-B")
    issue_notice(world, other_case, unit="DEPT-C")
    staff_a, staff_b, staff_c = world.client("staff_a"), world.client("staff_b"), world.client("staff_c")
    assert [c["id"] for c in staff_a.get("/api/v1/supervision/cases").json["items"]] == [own_case]
    assert [c["id"] for c in staff_b.get("/api/v1/supervision/cases").json["items"]] == [other_case]
    assert [c["id"] for c in staff_c.get("/api/v1/supervision/cases").json["items"]] == [other_case]
    assert staff_a.get(f"/api/v1/supervision/cases/{other_case}").status_code == 404
    assert [n["unit"] for n in staff_c.get(f"/api/v1/supervision/cases/{other_case}").json["notices"]] == ["DEPT-C"]
    assert [n["unit"] for n in staff_b.get(f"/api/v1/supervision/cases/{other_case}").json["notices"]] == ["DEPT-B"]
    sup_view = world.client("supervisor").get(f"/api/v1/supervision/cases/{other_case}").json
    assert [n["unit"] for n in sup_view["notices"]] == ["DEPT-B", "DEPT-C"]
    # Another unit's notice cannot be answered, nor even found.
    with app.app_context():
        dept_b_notice = db.session.scalar(select(RectificationNotice.id).order_by(RectificationNotice.id))
    r = staff_c.post(f"/api/v1/supervision/cases/{other_case}/notices/{dept_b_notice}/response", json={"response": "x"})
    assert r.status_code == 404
    r = staff_a.get("/api/v1/supervision/cases?unit=DEPT-B")
    assert r.status_code == 403
    assert staff_a.get("/api/v1/supervision/cases?unit=DEPT-A").json["total"] == 1
    for role in ("operator", "dispatcher", "kb_editor"):
        assert world.client(role).get("/api/v1/supervision/cases").status_code == 403
    assert world.client("admin").get("/api/v1/supervision/cases").json["total"] == 2


def test_the_case_list_filters_and_refuses_bad_queries(world, app):
    first = world.ticket("accepted", lead="DEPT-A")
    world.ticket("accepted", lead="DEPT-B")
    case_id = case_of(app, first)
    sup = world.client("supervisor")
    assert [c["id"] for c in sup.get(f"/api/v1/supervision/cases?ticket={first}").json["items"]] == [case_id]
    assert sup.get("/api/v1/supervision/cases?unit=DEPT-B").json["total"] == 1
    assert sup.get("/api/v1/supervision/cases?status=closed").json["total"] == 0
    assert sup.get("/api/v1/supervision/cases?status=open&per_page=1").json["pages"] == 2
    for query, field in [
        ("ticket=20991231-000009", "ticket"),
        ("unit=NOPE", "unit"),
        ("status=pending", "status"),
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("sort=id", "sort"),
    ]:
        r = sup.get(f"/api/v1/supervision/cases?{query}")
        assert r.status_code == 422 and r.json["error"]["field"] == field, query
    assert sup.get("/api/v1/supervision/cases/0").status_code == 404
    assert sup.get("/api/v1/supervision/cases/x1").status_code == 404
    assert sup.get("/api/v1/supervision/cases/99999999999").status_code == 404


def test_an_overdue_notice_is_seen_at_read_time_without_any_job(world, app):
    case_id = open_case_id(world, world.ticket("accepted"))
    issue_notice(world, case_id, unit="DEPT-A", hours=1)
    sup = world.client("supervisor")
    assert sup.get(f"/api/v1/supervision/cases/{case_id}").json["notices"][0]["is_overdue"] is False
    with app.app_context():
        later = clock.now() + timedelta(hours=1, seconds=1)
    app.config["CLOCK"] = lambda: later
    assert sup.get(f"/api/v1/supervision/cases/{case_id}").json["notices"][0]["is_overdue"] is True


def test_the_case_page_stops_counting_at_its_limit_and_the_api_counts_exactly(world, app, monkeypatch):
    from hotline.supervision import queries as case_queries

    world.ticket("accepted", lead="DEPT-A")
    world.ticket("accepted", lead="DEPT-B")
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 1)
    page = app.test_client()
    assert page.post("/login", data={"username": "supervisor", "password": "password-123"}).status_code == 302
    assert "超过 1 件" in page.get("/supervision/cases").get_data(as_text=True)
    assert world.client("supervisor").get("/api/v1/supervision/cases").json["total"] == 2
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 2)
    assert "共 2 件" in page.get("/supervision/cases").get_data(as_text=True)
