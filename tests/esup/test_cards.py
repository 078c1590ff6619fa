"""Yellow and red cards from the deadline signal: once per (deadline, color), on a case,
visible to supervisors and to the carded unit only."""

import threading

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.core import clock, signals
from hotline.extensions import db
from hotline.supervision.models import Card, EsupDelivery, SupervisionCase

from .helpers import case_of, deadline_of, fire


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_overdue_records_a_yellow_card_on_the_complaints_case(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    case_id = case_of(app, number)
    fire(app, number, "warning")
    assert _count(app, Card) == 0  # a warning is a message, not a card
    fire(app, number, "overdue")
    case = world.client("supervisor").get(f"/api/v1/supervision/cases/{case_id}").json
    with app.app_context():
        deadline_id = deadline_of(world.get(number)).id
    assert [(c["color"], c["color_label"], c["unit"], c["deadline_id"], c["deadline_kind"]) for c in case["cards"]] == [
        ("yellow", "黄牌", "DEPT-A", deadline_id, "reply")
    ]
    assert case["cards"][0]["due_at"] == "2026-11-22T08:02:00+08:00"
    with app.app_context():
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "card.record"))
        assert audit.data == {"color": "yellow", "unit": "DEPT-A", "ticket": number, "deadline": deadline_id}


def test_a_card_on_a_ticket_without_a_case_opens_one(world, app):
    number = world.ticket("accepted", lead="DEPT-B", request_type="consultation")
    assert case_of(app, number) is None
    fire(app, number, "red", unit="DEPT-B")
    case_id = case_of(app, number)
    case = world.client("supervisor").get(f"/api/v1/supervision/cases/{case_id}").json
    assert (case["origin"], case["unit"], case["opened_by"]) == ("card", "DEPT-B", None)
    assert [c["color"] for c in case["cards"]] == ["red"]


def test_duplicate_signals_record_one_card_one_case_one_delivery(world, app):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    for _ in range(3):
        fire(app, number, "overdue")
    fire(app, number, "red")
    fire(app, number, "red")
    assert _count(app, Card) == 2
    assert _count(app, SupervisionCase) == 1
    assert _count(app, EsupDelivery, EsupDelivery.event == "card.recorded") == 2
    assert _count(app, AuditEvent, AuditEvent.action == "card.record") == 2


def test_a_duplicate_after_the_case_was_closed_opens_nothing(world, app):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    fire(app, number, "overdue")
    case_id = case_of(app, number)
    r = world.client("supervisor").post(f"/api/v1/supervision/cases/{case_id}/close", json={"note": "已核实"})
    assert r.status_code == 200
    fire(app, number, "overdue")
    assert _count(app, SupervisionCase) == 1 and _count(app, Card) == 1


def test_the_same_signal_from_two_sweeps_at_once_records_one_card(world, app):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    barrier = threading.Barrier(2)
    errors = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            # On SQLite the two transactions queue on the write lock; on PostgreSQL they overlap.
            with app.app_context():
                ticket = world.get(number)
                signals.deadline_reached.send(
                    deadline_of(ticket), ticket=ticket, kind="overdue", unit_id=ticket.lead_unit_id, now=clock.now()
                )
                db.session.commit()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _count(app, Card) == 1 and _count(app, SupervisionCase) == 1
    assert _count(app, EsupDelivery) == 2  # case.opened and card.recorded, once each


def test_cards_are_listed_for_supervisors_and_the_carded_unit_only(world, app):
    a = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    b = world.ticket("accepted", lead="DEPT-B", request_type="consultation")
    fire(app, a, "overdue")
    fire(app, a, "red")
    fire(app, b, "overdue", unit="DEPT-B")
    sup = world.client("supervisor")
    listed = sup.get("/api/v1/supervision/cards").json
    assert listed["total"] == 3
    assert [(c["unit"], c["color"]) for c in sup.get("/api/v1/supervision/cards?color=red").json["items"]] == [
        ("DEPT-A", "red")
    ]
    assert sup.get("/api/v1/supervision/cards?unit=DEPT-B").json["total"] == 1
    assert world.client("admin").get("/api/v1/supervision/cards").json["total"] == 3
    staff_a = world.client("staff_a")
    assert {(c["unit"], c["ticket"]) for c in staff_a.get("/api/v1/supervision/cards").json["items"]} == {("DEPT-A", a)}
    assert staff_a.get("/api/v1/supervision/cards?unit=DEPT-B").status_code == 403
    assert world.client("staff_c").get("/api/v1/supervision/cards").json["total"] == 0
    for role in ("operator", "dispatcher", "kb_editor"):
        assert world.client(role).get("/api/v1/supervision/cards").status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [("color=green", "color"), ("unit=NOPE", "unit"), ("per_page=500", "per_page"), ("unit=a%00", "unit")],
)
def test_the_card_list_refuses_bad_queries(world, query, field):
    r = world.client("supervisor").get(f"/api/v1/supervision/cards?{query}")
    assert r.status_code == 422 and r.json["error"]["field"] == field
