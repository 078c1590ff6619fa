"""Rectification notices (整改通知书) are watched by the deadline sweep like any deadline."""

from datetime import timedelta

from sqlalchemy import select

from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.sla.models import Deadline, DeadlineRecord
from hotline.sla.sweep import run_sweep
from hotline.supervision.models import Card

from ..conftest import FROZEN_NOW
from .helpers import issue_notice, open_case_id


def _rectification(app):
    with app.app_context():
        deadline = db.session.scalar(select(Deadline).where(Deadline.kind == "rectification"))
        records = sorted(
            db.session.scalars(select(DeadlineRecord.kind).where(DeadlineRecord.deadline_id == deadline.id))
        )
        cards = [
            (c.color, c.deadline_kind) for c in db.session.scalars(select(Card).where(Card.deadline_id == deadline.id))
        ]
        messages = sorted(
            db.session.scalars(
                select(Notification.template_code).where(Notification.idempotency_key.like(f"deadline:{deadline.id}:%"))
            )
        )
        return deadline.due_at, deadline.stop_reason, records, cards, messages


def test_a_notice_answered_late_is_carded_once_and_its_clock_stops(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    notice_id = issue_notice(world, open_case_id(world, number), hours=48)
    due_at, stop_reason, records, cards, messages = _rectification(app)
    assert due_at == FROZEN_NOW + timedelta(hours=48) and stop_reason is None
    # The ticket shows the notice's deadline beside its own.
    kinds = [d["kind"] for d in world.client("supervisor").get(f"/api/v1/tickets/{number}").json["deadlines"]]
    assert "rectification" in kinds

    with app.app_context():
        run_sweep(FROZEN_NOW + timedelta(hours=49))
        run_sweep(FROZEN_NOW + timedelta(hours=50))  # a second sweep adds nothing
    _, _, records, cards, messages = _rectification(app)
    assert records == ["overdue", "warning"]
    assert cards == [("yellow", "rectification")]
    assert messages.count("unit_overdue") == 1 and messages.count("unit_deadline_warning") == 1

    r = world.client("staff_a").post(
        f"/api/v1/supervision/cases/{open_case_id(world, number)}/notices/{notice_id}/response",
        json={"response": "已完成整改"},
    )
    assert r.status_code == 200, r.json
    _, stop_reason, *_ = _rectification(app)
    assert stop_reason == "met"
    with app.app_context():
        run_sweep(FROZEN_NOW + timedelta(hours=200))  # far past the red-card point: the clock stopped
    _, _, records, cards, _ = _rectification(app)
    assert records == ["overdue", "warning"] and cards == [("yellow", "rectification")]


def test_a_notice_answered_in_time_is_never_carded(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    case_id = open_case_id(world, number)
    notice_id = issue_notice(world, case_id, hours=48)
    r = world.client("staff_a").post(
        f"/api/v1/supervision/cases/{case_id}/notices/{notice_id}/response", json={"response": "已整改"}
    )
    assert r.status_code == 200, r.json
    with app.app_context():
        run_sweep(FROZEN_NOW + timedelta(hours=200))
    _, stop_reason, records, cards, messages = _rectification(app)
    assert (stop_reason, records, cards, messages) == ("met", [], [], [])
