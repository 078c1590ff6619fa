"""Every step of a ticket's life costs a fixed number of SQL statements, whatever its history.

The same life is lived twice, on a ticket with a short history and on one with a long one
(the caller's earlier tickets, notes, urges, returns, extension requests, reopens: events,
deadlines, replies, callbacks, notifications and supervision cases piling up), and each
step's statements are counted: the count must stay within the step's budget and be the same
for both histories. Set HOTLINE_BUDGET_DUMP=1 to print every step's statements.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from hotline.extensions import db

from ..esup.helpers import fire
from ..factories import PASSWORD


class Counted(list):
    """The statements a request runs in its transaction (their text, shortened), BEGIN left
    out (PostgreSQL's is not a statement of its own; SQLite's is); ``after``: those run
    after its commit (the jobs run inline without Redis)."""

    def __init__(self):
        super().__init__()
        self.after: list[str] = []


@contextmanager
def counted(app):
    calls = Counted()
    with app.app_context():
        engine = db.engine
    state = {"committed": False}

    def count(conn, cursor, statement, *args, **kwargs):
        text = " ".join(statement.split())[:200]
        if state["committed"]:
            calls.after.append(text)
        elif not text.startswith("BEGIN"):
            calls.append(text)

    def commit(conn):
        state["committed"] = True

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "commit", commit)
    try:
        yield calls
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "commit", commit)


# step → statements at most, in the request's transaction (BEGIN not counted). An action
# has 12 and the ticket's detail 8; the ones above 12 say why. Every action answers with the
# whole ticket (test_query_counts: equal to a later GET), which costs it the detail's
# collections: events, and of replies, callbacks, extension requests, duplicates and
# deadlines those the ticket's own statement finds rows of (tickets.queries.COLLECTIONS: an
# empty one is not read; deadlines and extension requests are read once per transaction and
# shared with the services). The life below has them all by the end, so these are the
# counts of a ticket with a history; a new ticket's steps cost less (bench/workflow.py:
# dispatch 12, reply and callback 10, detail 6).
BUDGET = {
    # token, category, area, caller upsert (+ its row when known), number, ticket, its text
    # index row, event; a complaint: its case, the case's audit event, its e-supervision document
    "create": 12,
    # token, ticket (+ category, parent, assisting units, which collections have rows), event,
    # ticket, the citizen's message (its outbox row: the template is kept in the process,
    # hotline.core.kept), the events
    "submit": 6,
    # token, ticket, the named units, the deadlines (earlier clocks: the new ones are numbered
    # after them), the new clocks, event, ticket, the assisting units' rows, the units in its
    # text index row (on PostgreSQL, one UPDATE: text_search's scope lexemes), the units'
    # messages (outbox rows), the events, the extension requests: 12 (the open case is read
    # only when it names no unit yet: ask_with_ticket; the deadline policy and the template
    # are kept in the process)
    "dispatch": 12,
    "accept": 9,
    # + the reply row, the reply clock stopped (the extension requests tell whether one is
    # pending and must be withdrawn: an UPDATE only then), the replies and callbacks: 12
    "reply": 12,
    # + the callback row, the clocks (stopped if open): 11
    "callback": 11,
    # a dissatisfied callback: + the new reply clock: 12
    "reopen": 12,
    "detail": 7,
    # the supervisors' lists: token, count, page, then a query per relationship the rows
    # show (cases: ticket, unit, opener, closer; cards: ticket, unit), not one per row
    "cases": 8,
    "cards": 8,
    # The pages: the signed-in user, and the menu's three counts (the supervisor's 待办
    # badges) on every page. The cases and cards pages: the list as above (no user token),
    # the units of the filter, the cards' per-unit totals. The ticket page (22): the detail
    # (7 without the token), its attachments, its cases (count, page, their ticket, unit, opener), the
    # countdowns, the units and categories of the forms, and what the template asks for (a
    # ticket read and the exemptions); not yet brought down to the detail's 8.
    "page:ticket": 22,
    "page:cases": 10,
    "page:cards": 10,
}
HISTORIES = {"short": 1, "long": 5}
# A reply that passes the reply check (hotline/routing/replycheck.py): measured as the usual case.
GOOD_REPLY = (
    "您好！经我局工作人员现场核查，小区门口路灯灯泡损坏，已于当日更换，"
    "路灯已恢复照明，问题已解决。如有疑问请联系我局办公室。"
)
_counts: dict[str, dict[str, list]] = {}

COMPLAINT = {
    "caller_name": "张先生",
    "request_type": "complaint",
    "category": "SOC.PEN",
    "area": "D1-T1",
    "address": "东湖路1号",
    "content": "小区门口路灯坏了一个月，晚上出行很不安全。",
}


def _life(world, app, rounds: int, phone: str) -> dict[str, list]:
    """Live a complaint's life with ``rounds`` of history before every step; the statements of
    each measured step."""
    op, disp, sup = world.client("operator"), world.client("dispatcher"), world.client("supervisor")
    staff = world.client("staff_a")
    found: dict[str, list] = {}

    def act(client, number, action, body=None, *, measure=None):
        if measure is None:
            r = client.post(f"/api/v1/tickets/{number}/{action}", json=body or {})
        else:
            with counted(app) as calls:
                r = client.post(f"/api/v1/tickets/{number}/{action}", json=body or {})
            found[measure] = calls
        assert r.status_code == 200, (action, r.json)
        return r.json

    # Earlier tickets of the same caller (complaints: each opened a supervision case).
    for _ in range(rounds):
        assert op.post("/api/v1/tickets", json={**COMPLAINT, "caller_phone": phone}).status_code == 201
    with counted(app) as calls:
        created = op.post("/api/v1/tickets", json={**COMPLAINT, "caller_phone": phone})
    assert created.status_code == 201, created.json
    found["create"] = calls
    number = created.json["number"]
    for i in range(rounds):
        act(op, number, "note", {"note": f"补充说明 {i}"})
    act(op, number, "submit", measure="submit")
    for _ in range(rounds):  # dispatched, accepted, asked for time, returned: clocks opened and stopped
        act(disp, number, "dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]})
        fire(app, number, "overdue")  # a yellow card, as the watch records it: one per round
        act(staff, number, "accept")
        act(staff, number, "request-extension", {"hours": 24, "reason": "需要现场核查"})
        act(staff, number, "return", {"reason": "不属于我局职责"})
    act(disp, number, "dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C", "DEPT-B"]}, measure="dispatch")
    for _ in range(rounds):  # replied, called back, reopened to the same unit
        act(staff, number, "accept")
        act(staff, number, "request-extension", {"hours": 24, "reason": "需要现场核查"})
        act(sup, number, "decide-extension", {"approve": True, "note": "同意"})
        act(sup, number, "urge", {"note": "请尽快办理"})
        act(world.client("staff_c"), number, "note", {"note": "协办单位已了解"})
        act(staff, number, "reply", {"content": "已处理", "confirm_warnings": True})
        act(op, number, "callback", {"satisfaction": "dissatisfied", "resolved": False})
    act(staff, number, "accept", measure="accept")
    for _ in range(rounds):
        act(sup, number, "supervise", {"note": "督办"})
    act(staff, number, "reply", {"content": GOOD_REPLY}, measure="reply")
    act(op, number, "callback", {"satisfaction": "dissatisfied", "resolved": False}, measure="reopen")
    act(staff, number, "accept")
    act(staff, number, "reply", {"content": "已再次处理", "confirm_warnings": True})
    act(op, number, "callback", {"satisfaction": "satisfied", "resolved": True}, measure="callback")
    with counted(app) as calls:
        assert op.get(f"/api/v1/tickets/{number}").status_code == 200
    found["detail"] = calls
    for name, path in (("cases", "/api/v1/supervision/cases?per_page=100"), ("cards", "/api/v1/supervision/cards")):
        with counted(app) as calls:
            listed = sup.get(path)
        assert listed.status_code == 200, listed.json
        assert listed.json["total"] >= rounds, (name, listed.json["total"])
        found[name] = calls
    # The same as pages (signed-in session, the menu's counts included).
    web = app.test_client()
    assert web.post("/login", data={"username": "supervisor", "password": PASSWORD}).status_code == 302
    for name, path in (
        ("page:ticket", f"/tickets/{number}"),
        ("page:cases", "/supervision/cases"),
        ("page:cards", "/supervision/cards"),
    ):
        web.get(path)  # warm: the first request of a session may load more
        with counted(app) as calls:
            shown = web.get(path)
        assert shown.status_code == 200, (name, shown.status_code)
        found[name] = calls
    return found


def _measured(world, app) -> dict[str, dict[str, list]]:
    if not _counts:
        # As in production: the dispatch model (whose weights the reply check uses) is looked
        # for once a minute per process, not by every request (the suite's default is 0 s).
        from hotline.routing.services import current_model

        app.config["SUGGEST_REFRESH_SECONDS"] = 3600
        with app.app_context():
            current_model()
        # As in production too: message templates and deadline policies are kept in the
        # process (hotline.core.kept; the suite reads them every time), here from a first life.
        app.config["SETTINGS_CACHE_SECONDS"] = 3600
        _life(world, app, 1, "13800139999")
        for i, (history, rounds) in enumerate(HISTORIES.items()):
            _counts[history] = _life(world, app, rounds, f"1380013{i:04d}")
    return _counts


@pytest.mark.parametrize("history", list(HISTORIES))
@pytest.mark.parametrize("step", list(BUDGET))
def test_a_step_costs_its_budget_whatever_the_history(world, app, step, history):
    counts = _measured(world, app)
    calls = counts[history][step]
    if os.environ.get("HOTLINE_BUDGET_DUMP"):
        print(f"\n{step} ({history}): {len(calls)}")
        for c in calls:
            print("   ", c)
    assert len(calls) <= BUDGET[step], "\n".join(c[:150] for c in calls)
    assert len(calls) == len(counts["short"][step]), (calls, counts["short"][step])
    assert len(calls.after) == len(counts["short"][step].after), (calls.after, counts["short"][step].after)


def test_the_one_ticket_statement_stays_short_enough_for_psycopg_to_cache_its_conversion(app):
    """psycopg converts a query's %(name)s placeholders anew on every execution when its text
    is over 4,096 bytes (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH): about 250 more Python
    calls in every action and detail. The ticket's statement (its columns, joined rows and the
    EXISTS questions, other domains' included) must stay under it."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH
    from sqlalchemy.dialects.postgresql import psycopg as pg

    from hotline.tickets import queries

    with app.app_context():
        statement, _ = queries._one_ticket()
        sql = str(statement.compile(dialect=pg.dialect()))
    assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH - 200, len(sql.encode())
