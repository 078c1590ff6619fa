"""The watch reports with ticket ids; the tickets domain turns each report into ticket events."""

from datetime import timedelta

from sqlalchemy import func, select

from hotline.core import signals
from hotline.extensions import db
from hotline.sla.models import DeadlineRecord
from hotline.sla.sweep import run_sweep
from hotline.tickets import receivers
from hotline.tickets.models import TicketEvent

from ..conftest import FROZEN_NOW

DUE = FROZEN_NOW + timedelta(minutes=2, hours=22)  # world.ticket dispatches two minutes in
WATCH = ("deadline_warning", "deadline_overdue", "yellow_card", "red_card")


def watch_events(app, ticket_id):
    with app.app_context():
        return db.session.scalars(
            select(TicketEvent.action)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_(WATCH))
            .order_by(TicketEvent.id)
        ).all()


def test_the_watch_sends_ids_and_the_tickets_domain_writes_the_events(world, app):
    number = world.ticket("dispatched")
    with app.app_context():
        ticket_id = world.get(number).id
    passed, reached = [], []

    def on_passed(deadline, **kw):
        passed.append(kw)

    def on_reached(deadline, **kw):
        reached.append((kw["ticket"].id, kw["kind"]))

    signals.deadline_passed.connect(on_passed)
    signals.deadline_reached.connect(on_reached)
    try:
        with app.app_context():
            result = run_sweep(DUE + timedelta(seconds=1))
            recorded = [(r.ticket_id, r.ticket_number, r.kind) for r in result.recorded]
    finally:
        signals.deadline_passed.disconnect(on_passed)
        signals.deadline_reached.disconnect(on_reached)
    assert [(p["ticket_id"], p["kind"]) for p in passed] == [(ticket_id, "warning"), (ticket_id, "overdue")]
    assert all("ticket" not in p for p in passed)  # ids only: the watch never loads a ticket
    assert passed[1]["data"]["deadline"] == "reply" and passed[1]["data"]["unit"] == "DEPT-A"
    assert recorded == [(ticket_id, number, "warning"), (ticket_id, number, "overdue")]
    assert reached == [(ticket_id, "warning"), (ticket_id, "overdue")]
    assert watch_events(app, ticket_id) == ["deadline_warning", "deadline_overdue", "yellow_card"]


def test_without_the_tickets_receiver_the_watch_records_and_writes_no_ticket_event(world, app):
    number = world.ticket("dispatched")
    with app.app_context():
        ticket_id = world.get(number).id
    signals.deadline_passed.disconnect(receivers.on_deadline_passed)
    try:
        with app.app_context():
            result = run_sweep(DUE + timedelta(seconds=1))
            assert [r.ticket_number for r in result.recorded] == [f"#{ticket_id}", f"#{ticket_id}"]
            assert db.session.scalar(select(func.count()).select_from(DeadlineRecord)) == 2
    finally:
        receivers.connect()
    assert watch_events(app, ticket_id) == []
