"""Ticket signals: sent once per change, in the change's transaction."""

from hotline.core import signals


def test_created_and_changed_signals(world, app):
    seen = []

    def on_created(ticket, **kw):
        seen.append(("created", ticket.number, ticket.status, kw["actor"].username))

    def on_changed(ticket, **kw):
        seen.append(("changed", kw["event"].action, ticket.status, ticket.lead_unit.code if ticket.lead_unit else None))

    with signals.ticket_created.connected_to(on_created), signals.ticket_changed.connected_to(on_changed):
        number = world.ticket("dispatched", lead="DEPT-B")
    assert seen == [
        ("created", number, "new", "operator"),
        ("changed", "submit", "pending_dispatch", None),
        ("changed", "dispatch", "dispatched", "DEPT-B"),
    ]


def test_a_refused_action_sends_nothing(world):
    number = world.ticket("closed")
    seen = []
    with signals.ticket_changed.connected_to(lambda t, **kw: seen.append(kw["event"].action)):
        r = world.client("staff_a").post(f"/api/v1/tickets/{number}/accept")
    assert r.status_code == 409 and seen == []
