"""Ticket search by text (hotline/tickets/text_search.py): Chinese words in the content and the
address, the ticket's number, scoped to what the user may see, current from the commit on.
Runs on SQLite and on PostgreSQL (HOTLINE_TEST_DB=postgresql): the index differs (FTS5 / a
GIN-indexed tsvector), the answers must not."""

import pytest

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets import services, text_search
from hotline.tickets.models import Ticket


def _found(client, q, **params):
    r = client.get("/api/v1/tickets", query_string={"q": q, "per_page": 100, **params})
    assert r.status_code == 200, r.json
    return {t["number"] for t in r.json["items"]}


def test_words_in_the_content_and_the_address_are_found(world):
    lamp = world.ticket("new", content="幸福小区门口的路灯不亮已经三天，晚上很危险。")
    noise = world.ticket("new", content="工地夜间施工噪音扰民，凌晨两点还在打桩。")
    op = world.client("operator")
    assert _found(op, "路灯") == {lamp}
    assert _found(op, "噪音扰民") == {noise}
    assert _found(op, "幸福小区 路灯") == {lamp}  # every part must be there
    assert _found(op, "幸福小区 噪音") == set()
    assert _found(op, "灯不亮已") == {lamp}  # any substring, not only dictionary words
    assert _found(op, "亮灯") == set()  # the characters in this order, not anywhere
    assert _found(op, "凌") == {noise}  # one character
    # The address (every factory ticket is at 东湖路1号) and full-width or upper-case input.
    assert _found(op, "东湖路") == {lamp, noise}
    assert _found(op, "东湖路１号") == {lamp, noise}
    # Punctuation and query syntax are not interpreted.
    assert _found(op, "路灯，不亮") == {lamp}
    assert _found(op, "路灯 OR 噪音") == set()
    assert _found(op, '"路灯" *') == {lamp}
    assert _found(op, "'); DROP TABLE tickets; --") == set()
    assert _found(op, "，。！") == set()


def test_the_ticket_number_is_found(world):
    first = world.ticket("new")
    world.ticket("new")
    op = world.client("operator")
    assert _found(op, first) == {first}
    assert _found(op, first.replace("-", "")) == {first}
    assert _found(op, f"  {first} ") == {first}


def test_a_unit_finds_only_its_own_tickets(world):
    own = world.ticket("dispatched", lead="DEPT-A", content="污水井盖破损，行人容易踩空。")
    assisted = world.ticket("dispatched", lead="DEPT-B", assists=["DEPT-A"], content="污水外溢到人行道上。")
    other = world.ticket("dispatched", lead="DEPT-B", content="污水管道堵塞，楼下返臭。")
    undispatched = world.ticket("pending_dispatch", content="污水处理厂异味很重。")
    assert _found(world.client("staff_a"), "污水") == {own, assisted}
    assert _found(world.client("staff_b"), "污水") == {assisted, other}
    assert _found(world.client("operator"), "污水") == {own, assisted, other, undispatched}
    # Not by its number either, nor by asking for the other unit's tickets.
    assert _found(world.client("staff_a"), other) == set()
    assert _found(world.client("staff_a"), "污水", unit="DEPT-B") == {assisted}
    assert world.client("staff_a").get("/api/v1/tickets", query_string={"q": "污水"}).json["total"] == 2


def _page(world, user, q):
    client = world.app.test_client()
    assert client.post("/login", data={"username": user, "password": "password-123"}).status_code == 302
    r = client.get("/tickets", query_string={"q": q})
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_ticket_list_page_searches_the_same_way(world):
    own = world.ticket("dispatched", lead="DEPT-A", content="小区电梯困人，物业不接电话。")
    other = world.ticket("dispatched", lead="DEPT-B", content="电梯年检过期仍在运行。")
    page = _page(world, "staff_a", "电梯")
    assert own in page and other not in page
    page = _page(world, "operator", "电梯")
    assert own in page and other in page


def test_the_index_is_current_after_intake_and_after_an_edit(world):
    number = world.ticket("new", content="自来水发黄有异味。")
    op = world.client("operator")
    assert _found(op, "自来水") == {number}  # written in intake's own transaction
    with world.app.app_context():
        ticket = db.session.scalar(db.select(Ticket).where(Ticket.number == number))
        ticket.content = "燃气表漏气，请派人检查。"
        ticket.address = "西湖路8号"
        db.session.commit()
    assert _found(op, "自来水") == set()
    assert _found(op, "燃气表漏气") == {number}
    assert _found(op, "西湖路") == {number}
    assert _found(op, "东湖路") == set()


def test_a_rolled_back_intake_leaves_nothing_in_the_index(world):
    with world.app.app_context():
        services.create(
            actor=world.user("operator"),
            now=clock.now(),
            data=services.NewTicket(
                caller_phone="13900001111", request_type="complaint", category="SOC.PEN", content="独一无二的诉求内容"
            ),
        )
        db.session.rollback()
    assert _found(world.client("operator"), "独一无二") == set()


@pytest.mark.parametrize(
    ("content", "address", "query", "found"),
    [
        ("幸福路12号楼下", None, "12号", True),
        ("幸福路12号楼下", None, "2号楼", True),
        ("幸福路12号楼下", None, "13号", False),
        ("ABC小区", None, "abc", True),
        ("路灯", "东湖路", "灯东", False),  # content and address are apart
        ("路灯。坏了", None, "灯坏", False),  # punctuation ends a run
        ("尾", None, "尾", True),
    ],
)
def test_matching_rules(world, content, address, query, found):
    """The bigram rules, on both kinds of index: one ticket's row rewritten with the text."""
    number = world.ticket("new")
    with world.app.app_context():
        ticket_id = world.get(number).id
        text_search.index_ticket(ticket_id, content, address)
        matching = text_search.matching_ids(query, db.session.get_bind().dialect.name)
        assert (list(db.session.execute(matching).scalars()) == [ticket_id]) is found
        db.session.rollback()


def test_document_and_query_terms():
    assert text_search.document_terms("幸福路12号，楼下", "东湖") == [
        ["幸福", "福路", "路1", "12", "2号"],
        ["楼下"],
        ["东湖"],
    ]
    assert text_search.query_runs("  路灯 ，不亮！ ") == ["路灯", "不亮"]
    assert text_search.tsquery_literal(["路灯不", "x"]) == "('路灯' <-> '灯不') & 'x':*"
    assert text_search.fts5_query(["路灯不", "x"]) == '"路灯 灯不" AND "x"*'
    assert text_search.tsvector_literal([["幸福", "福路"], ["幸福"]]) == "'幸福':1,5 '福路':2"


def test_a_count_limit_stops_the_count_and_says_so(world):
    numbers = [world.ticket("new") for _ in range(3)]
    with world.app.app_context():
        from hotline.tickets import queries

        operator = world.user("operator")
        capped = queries.search(operator, per_page=2, count_limit=2)
        assert (capped.total, capped.total_capped, capped.pages) == (2, True, 1)
        assert [t.number for t in capped.items] == numbers[:0:-1]
        exact = queries.search(operator, per_page=2, count_limit=3)
        assert (exact.total, exact.total_capped, exact.pages) == (3, False, 2)
        assert queries.search(operator, per_page=2).total == 3


def test_the_list_page_says_when_it_stopped_counting(world, monkeypatch):
    from hotline.web import tickets as ticket_pages

    for _ in range(3):
        world.ticket("new")
    monkeypatch.setattr(ticket_pages, "COUNT_LIMIT", 2)
    assert "超过 2 件" in _page(world, "operator", "")
    monkeypatch.setattr(ticket_pages, "COUNT_LIMIT", 3)
    assert "共 3 件" in _page(world, "operator", "")
    # A search by text stops at its own, lower limit (each match counted is read from the index).
    for _ in range(2):
        world.ticket("new", content="窨井盖缺失")
    monkeypatch.setattr(ticket_pages, "SEARCH_COUNT_LIMIT", 1)
    assert "超过 1 件" in _page(world, "operator", "窨井盖")
    monkeypatch.setattr(ticket_pages, "SEARCH_COUNT_LIMIT", 2)
    assert "共 2 件" in _page(world, "operator", "窨井盖")


def _scope(world, number) -> list[str]:
    """The scope lexemes of the ticket's row of the index (PostgreSQL), sorted."""
    with world.app.app_context():
        return list(
            db.session.scalar(
                db.text(
                    "SELECT ARRAY(SELECT u.lexeme FROM unnest(terms) AS u WHERE u.lexeme LIKE '#%' ORDER BY 1) "
                    "FROM ticket_search WHERE ticket_id = :id"
                ),
                {"id": world.get(number).id},
            )
        )


def _expected_scope(world, number) -> list[str]:
    with world.app.app_context():
        ticket = world.get(number)
        return sorted(text_search.scope_lexemes(ticket.lead_unit_id, [u.id for u in ticket.assist_units]))


def _is_postgresql(world) -> bool:
    with world.app.app_context():
        return db.session.get_bind().dialect.name == "postgresql"


def test_a_unit_finds_a_ticket_by_text_exactly_while_it_leads_or_assists(world):
    """Dispatch, re-dispatch after a return, assisting units added and removed, the lead unit
    changed by any other write: each unit's staff find the ticket by a word exactly while they
    may see it (on PostgreSQL through the scope lexemes in its row of the index, kept current
    by the same transaction)."""
    op, disp = world.client("operator"), world.client("dispatcher")
    number = world.ticket("pending_dispatch", content="桥下涵洞积水严重，车辆无法通行。")
    other = world.ticket("dispatched", lead="DEPT-A", content="涵洞照明损坏。")
    staff = {code: world.client(f"staff_{code[-1].lower()}") for code in ("DEPT-A", "DEPT-B", "DEPT-C")}

    def act(client, action, body=None):
        r = client.post(f"/api/v1/tickets/{number}/{action}", json=body or {})
        assert r.status_code == 200, (action, r.json)

    def check(*seeing):
        for code, client in staff.items():
            expected = {number} if code in seeing else set()
            assert _found(client, "积水") == expected, code
            assert _found(client, "涵洞积水") == expected, code
            assert _found(client, "涵洞") == expected | ({other} if code == "DEPT-A" else set()), code
            assert client.get("/api/v1/tickets", query_string={"q": "积水"}).json["total"] == len(expected)
        assert _found(op, "积水") == {number}  # the operator sees every ticket
        assert _found(op, "积水", unit="DEPT-B") == ({number} if "DEPT-B" in seeing else set())
        if _is_postgresql(world):
            assert _scope(world, number) == _expected_scope(world, number)

    check()
    act(disp, "dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]})
    check("DEPT-A", "DEPT-C")
    act(staff["DEPT-A"], "return", {"reason": "不属于我局职责"})
    check()
    act(disp, "dispatch", {"lead_unit": "DEPT-B"})  # from unit A to unit B, no assisting unit
    check("DEPT-B")
    act(staff["DEPT-B"], "return", {"reason": "需协调多部门"})
    act(disp, "dispatch", {"lead_unit": "DEPT-B", "assist_units": ["DEPT-A", "DEPT-C"]})  # assists added
    check("DEPT-A", "DEPT-B", "DEPT-C")
    act(staff["DEPT-B"], "return", {"reason": "协办单位有误"})
    act(disp, "dispatch", {"lead_unit": "DEPT-B", "assist_units": ["DEPT-C"]})  # one removed
    check("DEPT-B", "DEPT-C")
    # Any other write of the lead unit (an import of the ticket's history sets the column).
    with world.app.app_context():
        ticket = world.get(number)
        from hotline.units.models import Unit

        ticket.lead_unit_id = db.session.scalar(db.select(Unit.id).where(Unit.code == "DEPT-A"))
        db.session.commit()
    check("DEPT-A", "DEPT-C")
    # The content rewritten: the row keeps its scope.
    with world.app.app_context():
        world.get(number).content = "涵洞积水仍未排走，行人绕行。"
        db.session.commit()
    check("DEPT-A", "DEPT-C")


def test_the_migration_backfills_the_same_scope_as_the_live_path(world):
    """Migration 0022's backfill, run on rows stripped of their scope (its downgrade), gives
    every row the very vector the workflow wrote (then rolled back)."""
    if not _is_postgresql(world):
        pytest.skip("the scope lexemes are PostgreSQL's only")
    import importlib.util
    from pathlib import Path

    path = next(Path(__file__).parents[2].glob("migrations/versions/0022_scopesearch_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0022", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    world.ticket("dispatched", lead="DEPT-A", assists=["DEPT-B", "DEPT-C"], content="垃圾清运不及时。")
    world.ticket("dispatched", lead="DEPT-B", content="垃圾桶破损。")
    world.ticket("new", content="垃圾分类宣传。")
    world.ticket("closed_answered", content="咨询垃圾分类时间。")
    with world.app.app_context():
        read = db.text("SELECT ticket_id, CAST(terms AS text) FROM ticket_search ORDER BY ticket_id")
        live = db.session.execute(read).all()
        assert any("'#a" in terms for _, terms in live) and any("'#l" in terms for _, terms in live)
        migration.rebuild(db.session.connection(), migration.WITHOUT_SCOPE)
        stripped = db.session.execute(read).all()
        assert len(stripped) == len(live) and not any("'#" in terms for _, terms in stripped)
        migration.rebuild(db.session.connection(), migration.WITH_SCOPE)
        assert db.session.execute(read).all() == live
        db.session.rollback()


def test_scope_lexemes_and_query():
    assert text_search.scope_lexemes(8, [3, 5]) == ["#l8", "#a3", "#a5"]
    assert text_search.scope_lexemes(None, []) == []
    assert text_search.scope_tsquery([8, 3]) == "('#l8' | '#a8') & ('#l3' | '#a3')"
    assert text_search.tsvector_literal([["路灯"]], ["#l8", "#a3"]) == "'路灯':1 '#l8' '#a3'"


def test_a_unit_search_past_its_count_limit_finds_the_same_page(world):
    """More matches than the count limit: the page is found walking the unit's tickets
    (without the scope pre-filter), the same tickets."""
    own = [world.ticket("dispatched", lead="DEPT-A", content="井盖松动，车辆经过有响声。") for _ in range(3)]
    world.ticket("dispatched", lead="DEPT-B", content="井盖松动。")
    with world.app.app_context():
        from hotline.tickets import queries

        staff = world.user("staff_a")
        capped = queries.search(staff, q="井盖", per_page=10, count_limit=2)
        assert (capped.total, capped.total_capped) == (2, True)
        assert [t.number for t in capped.items] == own[::-1]
        exact = queries.search(staff, q="井盖", per_page=10, count_limit=3)
        assert (exact.total, exact.total_capped) == (3, False)
        assert [t.number for t in exact.items] == own[::-1]


def test_a_common_phrase_is_counted_among_the_newest_tickets_first(world, monkeypatch):
    from hotline.tickets import queries

    old = [world.ticket("new", content="窨井盖缺失很危险") for _ in range(3)]
    for _ in range(2):
        world.ticket("new", content="路面塌陷")
    with world.app.app_context():
        operator = world.user("operator")
        postgresql = db.session.get_bind().dialect.name == "postgresql"
        filters = dict(status=None, unit_id=None, request_type=None, q="窨井盖", caller_id=None, clauses=())
        for probe_rows, probed in ((2, False), (5, postgresql)):  # the newest 2 hold no match; the newest 5 all 3
            monkeypatch.setattr(queries, "PROBE_ROWS", probe_rows)
            assert queries._many_among_newest(operator, filters, 2) is probed
            assert not queries._many_among_newest(operator, filters, 3)  # 3 found: not more than 3
            assert not queries._many_among_newest(world.user("staff_a"), filters, 0)  # a unit's: by its scope
            assert not queries._many_among_newest(operator, {**filters, "status": "new"}, 0)  # filtered: as before
            capped = queries.search(operator, q="窨井盖", count_limit=2, per_page=10)
            assert (capped.total, capped.total_capped) == (2, True)
            assert {t.number for t in capped.items} == set(old)
            exact = queries.search(operator, q="窨井盖", count_limit=3, per_page=10)
            assert (exact.total, exact.total_capped) == (3, False)
