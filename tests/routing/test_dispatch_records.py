"""What the suggestions said at each dispatch, recorded by the periodic job
(hotline.routing.services.record_pending): every dispatch once, a dispatch that committed
after a later one too, and nothing of an imported history."""

import pytest
from sqlalchemy import delete, func, select

from hotline.extensions import db
from hotline.routing import jobs, services
from hotline.routing.models import DispatchSuggestion
from hotline.tickets.models import TicketEvent

pytestmark = pytest.mark.any_database


def _recorded(app):
    with app.app_context():
        return sorted(db.session.scalars(select(DispatchSuggestion.event_id)))


def _dispatches(app):
    with app.app_context():
        return sorted(db.session.scalars(select(TicketEvent.id).where(TicketEvent.action == "dispatch")))


def test_each_dispatch_is_recorded_once_by_the_periodic_job(world, app):
    world.ticket("dispatched", lead="DEPT-A")
    world.ticket("dispatched", lead="DEPT-B")
    assert _recorded(app) == []  # the dispatch itself records nothing

    with app.app_context():
        assert jobs.record_dispatches() == 2
        assert jobs.record_dispatches() == 0
        row = db.session.scalar(select(DispatchSuggestion).order_by(DispatchSuggestion.id))
        event = db.session.get(TicketEvent, row.event_id)
    assert _recorded(app) == _dispatches(app)
    assert row.at == event.at and row.ticket_id == event.ticket_id  # as at the dispatch


def test_a_dispatch_committed_after_a_later_one_is_still_recorded(world, app):
    world.ticket("dispatched")
    world.ticket("dispatched")
    first, second = _dispatches(app)
    with app.app_context():
        jobs.record_dispatches()
        # As if the first dispatch's transaction had committed after the run saw the second.
        db.session.execute(delete(DispatchSuggestion).where(DispatchSuggestion.event_id == first))
        db.session.commit()

        assert jobs.record_dispatches() == 1
    assert _recorded(app) == [first, second]


def test_a_run_records_a_batch_and_the_next_run_goes_on(world, app):
    for _ in range(3):
        world.ticket("dispatched")
    with app.app_context():
        assert services.record_pending(limit=2) == 2
        assert services.record_pending(limit=2) == 1
    assert _recorded(app) == _dispatches(app)


def test_with_nothing_recorded_only_the_newest_events_are_looked_at(world, app, monkeypatch):
    world.ticket("dispatched")  # as an imported history: long before the job first ran
    old = _dispatches(app)
    with app.app_context():
        newest = db.session.scalar(select(func.max(TicketEvent.id)))
    monkeypatch.setattr(services, "RECORD_SLACK", 3)
    world.ticket("dispatched")  # new, pending_dispatch → dispatched: its events are the newest
    new = [e for e in _dispatches(app) if e > newest]

    with app.app_context():
        assert jobs.record_dispatches() == 1
    assert _recorded(app) == new and old[0] not in _recorded(app)
