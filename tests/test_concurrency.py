"""Races: concurrent intake and concurrent actions on one ticket.

On PostgreSQL these exercise row locks and the version column under READ COMMITTED;
on SQLite, BEGIN IMMEDIATE. Both must give the same answers.
"""

import threading
from collections import Counter

from hotline.tickets.models import Ticket, TicketEvent

from .api.test_lifecycle import NEW_TICKET


def _run_at_once(n, fn):
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except Exception as exc:  # surfaced below, with the thread's index
            errors.append((i, exc))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_32_concurrent_intakes_get_32_distinct_numbers(world, app):
    token = world.tokens["operator"]

    def create(i):
        client = app.test_client()
        r = client.post(
            "/api/v1/tickets",
            json={**NEW_TICKET, "content": f"并发登记 {i}", "caller_phone": "13800138000"},
            headers={"Authorization": f"Bearer {token}"},
        )
        return r.status_code, r.get_json()["number"]

    results = _run_at_once(32, create)
    assert [s for s, _ in results] == [201] * 32
    numbers = [n for _, n in results]
    assert len(set(numbers)) == 32
    assert sorted(numbers) == [f"20261121-{i:06d}" for i in range(1, 33)]
    with app.app_context():
        assert Ticket.query.count() == 32
        assert TicketEvent.query.filter_by(action="create").count() == 32


def test_8_concurrent_accepts_one_wins_seven_conflict(world, app):
    number = world.ticket("dispatched", lead="DEPT-A")
    tokens = [world.tokens["staff_a"], world.tokens["staff_a2"]]

    def accept(i):
        r = app.test_client().post(
            f"/api/v1/tickets/{number}/accept",
            json={"note": f"签收 {i}"},
            headers={"Authorization": f"Bearer {tokens[i % 2]}"},
        )
        return r.status_code, (r.get_json().get("error") or {}).get("code")

    results = _run_at_once(8, accept)
    statuses = Counter(s for s, _ in results)
    assert statuses == {200: 1, 409: 7}, results
    assert {c for s, c in results if s == 409} <= {"concurrent_update", "invalid_transition"}
    with app.app_context():
        ticket = world.get(number)
        assert ticket.status == "accepted"
        accepts = TicketEvent.query.filter_by(ticket_id=ticket.id, action="accept").all()
        assert len(accepts) == 1
        assert [e.action for e in TicketEvent.query.filter_by(ticket_id=ticket.id).order_by(TicketEvent.id)] == [
            "create",
            "submit",
            "dispatch",
            "accept",
        ]


def test_concurrent_different_actions_leave_one_state(world, app):
    """Callback (closes) and merge (merges) at the same moment: exactly one happens."""
    number = world.ticket("replied", lead="DEPT-A")
    target = world.ticket("new")
    tokens = [world.tokens["operator"], world.tokens["operator2"]]
    calls = [("callback", {"satisfaction": "satisfied", "resolved": True}), ("merge", {"into": target})] * 4

    def act(i):
        action, body = calls[i]
        r = app.test_client().post(
            f"/api/v1/tickets/{number}/{action}", json=body, headers={"Authorization": f"Bearer {tokens[i % 2]}"}
        )
        return action, r.status_code

    results = _run_at_once(8, act)
    winners = [a for a, s in results if s == 200]
    assert len(winners) == 1, results
    assert all(s == 409 for a, s in results if s != 200), results
    with app.app_context():
        ticket = world.get(number)
        assert ticket.status == {"callback": "closed", "merge": "merged"}[winners[0]]
        moves = TicketEvent.query.filter(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action.in_(["callback", "merge"])
        ).count()
        assert moves == 1


def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(world, app):
    token = world.tokens["operator"]

    def create(i):
        r = app.test_client().post(
            "/api/v1/tickets",
            json=NEW_TICKET,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-1"},
        )
        return r.status_code, r.get_json()["number"]

    results = _run_at_once(6, create)
    assert {s for s, _ in results} == {201}
    assert len({n for _, n in results}) == 1
    with app.app_context():
        assert Ticket.query.count() == 1
