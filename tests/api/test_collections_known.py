"""The ticket's statement says which of its collections have rows (tickets.queries.COLLECTIONS):
an empty one is not read, what the step adds to it is kept, and the answer is used once."""

from __future__ import annotations

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets import queries, services
from hotline.tickets.models import Reply


def test_a_collection_found_empty_is_not_read_and_gets_what_the_step_adds(world, app):
    number = world.ticket("accepted")
    with app.app_context():
        staff = world.user("staff_a")
        ticket = queries.get_visible(staff, number)
        assert queries.replies(ticket) == [] and queries.callbacks(ticket) == []
        services.reply(ticket, actor=staff, now=clock.now(), content="已处理，问题已解决。")
        kept = queries.replies(ticket)
        assert [r.content for r in kept] == ["已处理，问题已解决。"]
        db.session.rollback()


def test_a_ticket_read_again_after_a_savepoint_asks_again(world, app):
    """A savepoint's end drops what the transaction kept; the ticket read again must not be
    answered from its first statement (which found no replies)."""
    number = world.ticket("accepted")
    with app.app_context():
        staff = world.user("staff_a")
        ticket = queries.get_visible(staff, number)
        assert queries.replies(ticket) == []
        with db.session.begin_nested():
            db.session.add(
                Reply(
                    ticket_id=ticket.id,
                    unit_id=ticket.lead_unit_id,
                    author_id=staff.id,
                    content="另一条答复",
                    created_at=clock.now(),
                )
            )
        again = queries.get_visible(staff, number)
        assert again is ticket
        assert [r.content for r in queries.replies(again)] == ["另一条答复"]
        db.session.rollback()
