"""Settings kept in the process (hotline.core.kept): the deadline policy and the message
template a step uses are read once per HOTLINE_SETTINGS_CACHE_SECONDS, a change through this
process counts from its next request, one made elsewhere once the time is up."""

import pytest
from sqlalchemy import select, update

from hotline.core import kept
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.notifications.services import sending_template
from hotline.sla import policies
from hotline.sla.models import SlaPolicy
from hotline.tickets.models import Ticket


@pytest.fixture
def clock(monkeypatch):
    class Monotonic:
        now = 1000.0

        def __call__(self):
            return self.now

    fake = Monotonic()
    monkeypatch.setattr(kept.time, "monotonic", fake)
    return fake


def _reply_hours(app, number):
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return (ticket.reply_due_at - ticket.dispatched_at).total_seconds() / 3600


def _policy(world, hours):
    admin = world.client("admin")
    listed = admin.get("/api/v1/sla/policies").json["items"]
    if not listed:
        r = admin.post("/api/v1/sla/policies", json={"name": "一般件", "reply_hours": hours})
        assert r.status_code == 201, r.json
        return r.json["id"]
    r = admin.patch(f"/api/v1/sla/policies/{listed[0]['id']}", json={"reply_hours": hours})
    assert r.status_code == 200, r.json
    return listed[0]["id"]


def test_a_policy_changed_through_this_process_counts_from_the_next_dispatch(world, app, clock):
    app.config["SETTINGS_CACHE_SECONDS"] = 30
    _policy(world, 22)
    assert _reply_hours(app, world.ticket("dispatched")) == 22

    _policy(world, 10)

    assert _reply_hours(app, world.ticket("dispatched")) == 10


def test_a_policy_changed_elsewhere_counts_once_the_time_is_up(world, app, clock):
    app.config["SETTINGS_CACHE_SECONDS"] = 30
    policy_id = _policy(world, 22)
    assert _reply_hours(app, world.ticket("dispatched")) == 22
    with app.app_context():  # another process's change: this one's store does not know
        db.session.execute(update(SlaPolicy).where(SlaPolicy.id == policy_id).values(reply_hours=10))
        db.session.commit()

    clock.now += 29
    assert _reply_hours(app, world.ticket("dispatched")) == 22
    clock.now += 2
    assert _reply_hours(app, world.ticket("dispatched")) == 10


def test_without_keeping_every_step_reads_the_policy(world, app, clock):
    app.config["SETTINGS_CACHE_SECONDS"] = 0
    policy_id = _policy(world, 22)
    assert _reply_hours(app, world.ticket("dispatched")) == 22
    with app.app_context():
        db.session.execute(update(SlaPolicy).where(SlaPolicy.id == policy_id).values(reply_hours=10))
        db.session.commit()

    assert _reply_hours(app, world.ticket("dispatched")) == 10


def test_a_template_changed_by_an_admin_writes_the_next_message(world, app, clock):
    app.config["SETTINGS_CACHE_SECONDS"] = 30
    world.ticket("dispatched")
    r = world.client("admin").patch(
        "/api/v1/notification-templates/unit_ticket_dispatched", json={"body": "新工单{ticket_number}，请及时签收。"}
    )
    assert r.status_code == 200, r.json

    number = world.ticket("dispatched")

    with app.app_context():
        bodies = db.session.scalars(
            select(Notification.body)
            .where(Notification.template_code == "unit_ticket_dispatched")
            .order_by(Notification.id.desc())
        ).all()
    assert bodies[0] == f"新工单{number}，请及时签收。"
    assert bodies[-1] != bodies[0]


def test_what_is_kept_is_a_plain_value_per_application(world, app, make_app, clock):
    app.config["SETTINGS_CACHE_SECONDS"] = 30
    with app.app_context():
        template = sending_template("unit_ticket_dispatched")
        terms = policies.terms_for("complaint", "normal")
    assert template.row is None  # no ORM object outlives its session
    assert isinstance(terms, policies.Terms)
    other = make_app(SETTINGS_CACHE_SECONDS=30)
    assert "hotline_kept" not in other.extensions or not other.extensions["hotline_kept"]
