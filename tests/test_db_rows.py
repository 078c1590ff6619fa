"""core.db.insert_returning and adopt: rows written with Core, used as ORM objects;
core.db.built_once: intake's statements are built once.

Intake writes the ticket and its first event this way. The objects must be exactly what a
query would have returned: persistent, with no pending change, every attribute readable
without a query, and later changes written with the usual optimistic lock.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from hotline.core import clock
from hotline.core.db import built_once, insert_returning
from hotline.extensions import db
from hotline.tickets import services
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units.models import Unit


@contextmanager
def statements():
    seen = []

    def count(conn, cursor, statement, *args, **kwargs):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _event_values(ticket_id, now, **extra):
    return {"ticket_id": ticket_id, "action": "note", "at": now, "data": {"k": "值 🙂"}, "note": "备注", **extra}


def test_the_row_is_written_and_the_object_is_persistent_and_clean(world, app):
    number = world.ticket("new")
    with app.app_context():
        now = clock.now()
        ticket_pk = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
        with statements() as seen:
            row = insert_returning(TicketEvent, _event_values(ticket_pk, now))
        assert len(seen) == 1 and seen[0].lstrip().upper().startswith("INSERT")
        assert row.id is not None
        assert row in db.session and not db.session.new and not db.session.dirty
        with statements() as seen:  # every column is set: reading one does not refresh the row
            assert (row.from_status, row.actor_id, row.note, row.data) == (None, None, "备注", {"k": "值 🙂"})
        assert seen == []
        db.session.commit()
        stored = db.session.execute(
            select(TicketEvent.note, TicketEvent.data, TicketEvent.action).where(TicketEvent.id == row.id)
        ).one()
        assert tuple(stored) == ("备注", {"k": "值 🙂"}, "note")


def test_a_column_with_a_default_must_be_given_and_nothing_is_written(world, app):
    ticket_number = world.ticket("new")
    with app.app_context():
        ticket_pk = db.session.scalar(select(Ticket.id).where(Ticket.number == ticket_number))
        before = db.session.scalar(select(func.count()).select_from(TicketEvent))
        values = _event_values(ticket_pk, clock.now())
        del values["data"]  # TicketEvent.data defaults to {}
        with statements() as seen, pytest.raises(ValueError, match="data"):
            insert_returning(TicketEvent, values)
        assert seen == []
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(TicketEvent)) == before


def test_a_rolled_back_row_leaves_the_session(world, app):
    """As the ORM's own inserts do: after a rollback, the object of a row that is gone is
    not in the session (SQLite even gives its id to the next row), and the rows of an
    enclosing transaction stay when only a savepoint is rolled back."""
    number = world.ticket("new")
    with app.app_context():
        now = clock.now()
        ticket_pk = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
        first = insert_returning(TicketEvent, _event_values(ticket_pk, now, note="一"))
        db.session.rollback()
        assert first not in db.session
        second = insert_returning(TicketEvent, _event_values(ticket_pk, now, note="二"))
        with db.session.begin_nested() as savepoint:
            third = insert_returning(TicketEvent, _event_values(ticket_pk, now, note="三"))
            savepoint.rollback()
        assert third not in db.session and second in db.session
        with statements() as seen:
            assert second.note == "二"
        assert seen == []
        db.session.commit()
        notes = db.session.scalars(select(TicketEvent.note).where(TicketEvent.ticket_id == ticket_pk))
        assert sorted(n for n in notes if n) == ["二"]


def test_a_new_ticket_is_then_changed_with_the_optimistic_lock(world, app):
    """A ticket from intake moves on in the same transaction: its UPDATE names version 1,
    as a change to a ticket read by a query does."""
    with app.app_context():
        actor = world.user("operator")
        now = clock.now()
        data = services.NewTicket(
            caller_phone="13800138000", request_type="consultation", category="SOC.PEN", content="咨询"
        )
        ticket, _ = services.create(actor=actor, data=data, now=now)
        assert (ticket.version, ticket.status) == (1, "new")
        services.submit(ticket, actor=actor, now=now)
        assert (ticket.version, ticket.status) == (2, "pending_dispatch")
        db.session.commit()
        number = ticket.number

    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert (ticket.version, ticket.status, ticket.reopen_count) == (2, "pending_dispatch", 0)
        actions = db.session.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == ticket.id))
        assert list(actions) == ["create", "submit"]


def test_a_statement_is_built_once_and_reused(world, app):
    builds = []

    @built_once
    def statement():
        builds.append(1)
        return select(Unit.id).where(Unit.code == "DEPT-A")

    with app.app_context():
        assert statement() is statement()
        assert db.session.scalar(statement()) is not None
    assert builds == [1]
