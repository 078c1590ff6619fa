"""A merged duplicate is never held against a unit twice (hotline/supervision/merging.py).

On merge: the duplicate's case is closed as merged and linked to the surviving ticket's
case, the external system is told; its cards are kept but voided and counted nowhere; and
nothing new (deadline, warning, card) is recorded on it afterwards."""

import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.extensions import db
from hotline.sla.models import Deadline, DeadlineRecord
from hotline.supervision.models import Card, EsupDelivery, SupervisionCase

from ..conftest import FROZEN_NOW
from .helpers import case_of, fire, issue_notice


def _merge(world, duplicate, into):
    r = world.client("dispatcher").post(f"/api/v1/tickets/{duplicate}/merge", json={"into": into})
    assert r.status_code == 200, r.get_json()


def _cards(app, number):
    with app.app_context():
        ticket_id = db.session.scalar(select(func.min(Card.ticket_id)).where(Card.ticket.has(number=number)))
        return db.session.scalars(select(Card).where(Card.ticket_id == ticket_id).order_by(Card.id)).all()


def test_the_duplicates_case_is_closed_as_merged_and_linked_to_the_surviving_case(world, app):
    surviving = world.ticket("accepted", lead="DEPT-A")  # a complaint: it has its own case
    duplicate = world.ticket("accepted", lead="DEPT-A")
    dup_case, into_case = case_of(app, duplicate), case_of(app, surviving)
    _merge(world, duplicate, surviving)
    with app.app_context():
        case = db.session.get(SupervisionCase, dup_case)
        assert (case.status, case.merged_into_id) == ("closed", into_case)
        assert surviving in case.closing_note
        delivery = db.session.scalar(select(EsupDelivery).where(EsupDelivery.event == "case.merged"))
        body = json.loads(delivery.body)
        assert body["detail"] == {"merged_into_case_id": into_case, "merged_into_ticket": surviving}
        assert body["case"]["merged_into_case_id"] == into_case
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "supervision_case.merge")) is not None
    assert case_of(app, surviving) == into_case  # still open, still the same case


def test_a_surviving_ticket_without_a_case_gets_one_with_the_duplicates_notices(world, app):
    surviving = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    duplicate = world.ticket("accepted", lead="DEPT-A")
    dup_case = case_of(app, duplicate)
    notice_id = issue_notice(world, dup_case, unit="DEPT-A")
    assert case_of(app, surviving) is None
    _merge(world, duplicate, surviving)
    into_case = case_of(app, surviving)
    with app.app_context():
        case = db.session.get(SupervisionCase, into_case)
        assert (case.origin, case.unit.code) == ("merge", "DEPT-A") and duplicate in case.reason
        from hotline.supervision.models import RectificationNotice

        assert db.session.get(RectificationNotice, notice_id).case_id == into_case  # still awaited
        assert db.session.get(SupervisionCase, dup_case).status == "closed"


def test_cards_on_the_duplicate_are_kept_voided_and_counted_nowhere(world, app):
    surviving = world.ticket("accepted", lead="DEPT-A")
    duplicate = world.ticket("accepted", lead="DEPT-A")
    fire(app, duplicate, "overdue")
    fire(app, duplicate, "red")
    fire(app, surviving, "overdue")
    sup = world.app.test_client()
    assert sup.post("/login", data={"username": "supervisor", "password": "password-123"}).status_code == 302

    with app.app_context():
        name = world.get(surviving).lead_unit.name

    def unit_cards():  # the per-unit totals beside the card list
        html = sup.get("/supervision/cards").get_data(as_text=True)
        table = html[html.index('id="cards-by-unit"') :]
        found = re.search(rf"<tr><td>{re.escape(name)}</td><td>(\d+)</td><td>(\d+)</td></tr>", table)
        return int(found[1]), int(found[2])

    assert unit_cards() == (2, 1)
    _merge(world, duplicate, surviving)
    cards = _cards(app, duplicate)
    assert len(cards) == 2 and all(c.voided_at is not None and surviving in c.void_reason for c in cards)
    assert unit_cards() == (1, 0)  # only the surviving ticket's card counts
    page = sup.get("/supervision/cards")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("已作废") == 2  # listed for the record
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(EsupDelivery.event == "card.voided")) == 2
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "card.void")) == 2


def test_nothing_new_is_recorded_on_a_merged_duplicate(world, app):
    surviving = world.ticket("accepted", lead="DEPT-A")
    duplicate = world.ticket("accepted", lead="DEPT-A")
    _merge(world, duplicate, surviving)
    with app.app_context():
        ticket = world.get(duplicate)
        running = db.session.scalar(
            select(func.count()).where(Deadline.ticket_id == ticket.id, Deadline.stopped_at.is_(None))
        )
        assert running == 0  # no clock left running on the duplicate
    # a sweep long after every due time: nothing recorded on the duplicate
    r = app.test_cli_runner().invoke(args=["sla", "sweep", "--now", (FROZEN_NOW + timedelta(days=30)).isoformat()])
    assert r.exit_code == 0, r.output
    with app.app_context():
        ticket = world.get(duplicate)
        assert db.session.scalar(select(func.count()).where(DeadlineRecord.ticket_id == ticket.id)) == 0
        # the surviving ticket's clock ran on: the sweep did record its points
        kept = world.get(surviving)
        assert db.session.scalar(select(func.count()).where(DeadlineRecord.ticket_id == kept.id)) > 0
    # and a deadline signal that raced the merge records no card
    fire(app, duplicate, "overdue")
    assert _cards(app, duplicate) == []
