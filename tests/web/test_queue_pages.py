"""The work queues (待办), the list's filters and countdowns, and the Excel exports (test client).

What is in each role's queue, in which order, and what a unit never sees; the browser
tests (test_queue_browser.py) check the same pages as people see them.
"""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.sla.models import Deadline
from hotline.tickets.models import Ticket

from ..conftest import FROZEN_NOW
from ..esup.helpers import issue_notice, open_case_id

pytestmark = pytest.mark.any_database


def signed_in(app, username):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": "password-123"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


def set_due(world, number, minutes, *, kind=None, warn_minutes=None):
    """Move the ticket's open deadlines (or one kind) to ``minutes`` from now."""
    with world.app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
        where = [Deadline.ticket_id == ticket_id, Deadline.stopped_at.is_(None)]
        if kind:
            where.append(Deadline.kind == kind)
        warn = FROZEN_NOW + timedelta(minutes=warn_minutes) if warn_minutes is not None else None
        due = FROZEN_NOW + timedelta(minutes=minutes)
        db.session.execute(update(Deadline).where(*where).values(due_at=due, warn_at=warn))
        if kind in (None, "reply"):  # the ticket keeps its reply deadline too (the lists sort by it)
            db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(reply_due_at=due))
        db.session.commit()


def rows_of(html: str) -> list[str]:
    """The ticket numbers of a list's rows, in order."""
    return re.findall(r'<tr data-number="([^"]+)"', html)


def page_of(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("user", "start"),
    [
        ("operator", "/queues/mine"),
        ("dispatcher", "/queues/dispatch"),
        ("staff_a", "/queues/accept"),
        ("supervisor", "/queues/decide"),
        ("admin", "/tickets"),
        ("kb_editor", "/kb/articles"),
    ],
)
def test_each_role_starts_at_its_queue(app, world, user, start):
    client = signed_in(app, user)
    r = client.get("/", follow_redirects=True)
    assert r.status_code == 200
    assert r.request.path == start


def test_operator_queues_and_the_menu_counts(app, world):
    mine = world.ticket("new")
    replied_first = world.ticket("replied")
    replied_later = world.ticket("replied")
    client = signed_in(app, "operator")
    html = page_of(client, "/queues/mine")
    assert rows_of(html) == [mine]
    assert "登记于" in html and f"/tickets/{mine}#action-submit" in html
    # The menu's line: each queue with its count.
    assert re.search(r'data-count-for="mine">1<', html) and re.search(r'data-count-for="callbacks">2<', html)
    html = page_of(client, "/queues/callbacks")
    assert rows_of(html) == [replied_first, replied_later]  # the oldest reply first
    assert "答复于" in html
    assert client.get("/ui/queues/counts").get_json()["counts"] == {"mine": 1, "triage": 0, "callbacks": 2}
    # Another operator did not register it: not in their queue.
    other = signed_in(app, "operator2")
    assert rows_of(page_of(other, "/queues/mine")) == []


def test_dispatcher_sees_pending_and_returned_with_the_units_reason(app, world):
    pending = world.ticket("pending_dispatch")
    returned = world.ticket("returned", lead="DEPT-A")
    world.ticket("dispatched")
    client = signed_in(app, "dispatcher")
    assert rows_of(page_of(client, "/queues/dispatch")) == [pending]
    html = page_of(client, "/queues/returned")
    assert rows_of(html) == [returned]
    assert "市人力资源和社会保障局退回：非本单位职责" in html
    assert client.get("/queues/mine").status_code == 403  # the operator's queue


def test_unit_queues_hold_only_the_units_own_tickets(app, world):
    own_new = world.ticket("dispatched", lead="DEPT-A")
    world.ticket("dispatched", lead="DEPT-B")
    own_late = world.ticket("accepted", lead="DEPT-A")
    own_soon = world.ticket("accepted", lead="DEPT-A")
    others = world.ticket("accepted", lead="DEPT-B")
    asking = world.ticket("extension_pending", lead="DEPT-A")
    set_due(world, own_late, -90, kind="reply")
    set_due(world, own_soon, 30, kind="reply", warn_minutes=-60)
    client = signed_in(app, "staff_a")
    html = page_of(client, "/queues/accept")
    assert rows_of(html) == [own_new]
    html = page_of(client, "/queues/doing")
    # By the reply deadline: the late one, the one due in half an hour, then the rest.
    assert rows_of(html)[:2] == [own_late, own_soon] and others not in html and asking in rows_of(html)
    assert "已超时 1 小时 30 分" in html and "剩余 30 分钟" in html
    assert "138****" in html or "139****" in html or "150****" in html or "186****" in html
    assert not re.search(r"1[3-9]\d{9}", html)  # the caller's number is masked for a unit
    html = page_of(client, "/queues/extensions")
    assert rows_of(html) == [asking] and "申请延期 24 小时：需现场核查（待审批）" in html
    # The other unit's staff: none of these.
    other = signed_in(app, "staff_b")
    for key in ("accept", "doing", "extensions", "notices"):
        body = page_of(other, f"/queues/{key}")
        assert not {own_new, own_late, own_soon, asking} & set(rows_of(body))


def test_unit_sees_its_rectification_notices_with_their_countdown(app, world):
    number = world.ticket("dispatched", lead="DEPT-A", request_type="complaint")
    case_id = open_case_id(world, number)
    issue_notice(world, case_id, unit="DEPT-A", hours=48)
    html = page_of(signed_in(app, "staff_a"), "/queues/notices")
    assert rows_of(html) == [number]
    assert "整改 剩余 2 天" in html or "整改 剩余 1 天" in html
    assert f"/supervision/cases/{case_id}" in html
    assert rows_of(page_of(signed_in(app, "staff_b"), "/queues/notices")) == []


def test_supervisor_queues(app, world):
    asking = world.ticket("extension_pending", lead="DEPT-B")
    soon = world.ticket("accepted", lead="DEPT-A")
    late = world.ticket("accepted", lead="DEPT-C")
    later = world.ticket("dispatched", lead="DEPT-A")
    set_due(world, soon, 45)
    set_due(world, late, -300)
    set_due(world, later, 60 * 5)
    client = signed_in(app, "supervisor")
    html = page_of(client, "/queues/decide")
    assert rows_of(html) == [asking] and "市市场监督管理局申请延期 24 小时" in html
    assert f"/tickets/{asking}#action-decide-extension" in html
    html = page_of(client, "/queues/due-soon")
    assert rows_of(html) == [soon] and "剩余 45 分钟" in html
    html = page_of(client, "/queues/overdue")
    assert rows_of(html) == [late] and "已超时 5 小时" in html and "市城市管理局" in html
    assert client.get("/ui/queues/counts").get_json()["counts"] == {"decide": 1, "due-soon": 1, "overdue": 1}


def test_countdown_colours_on_the_list_and_the_ticket_page(app, world):
    normal = world.ticket("accepted", lead="DEPT-A")
    warning = world.ticket("accepted", lead="DEPT-A")
    overdue = world.ticket("accepted", lead="DEPT-A")
    set_due(world, normal, 600, warn_minutes=300)
    set_due(world, warning, 100, warn_minutes=-20)
    set_due(world, overdue, -5)
    client = signed_in(app, "supervisor")
    html = page_of(client, "/tickets?sort=deadline")
    assert rows_of(html) == [overdue, warning, normal]
    assert re.search(r'tone-overdue"[^>]*>答复 已超时 5 分钟<', html)
    assert re.search(r'tone-warning"[^>]*>答复 剩余 1 小时 40 分<', html)
    assert re.search(r'tone-normal"[^>]*>答复 剩余 10 小时<', html)
    detail = page_of(client, f"/tickets/{overdue}")
    assert re.search(r'id="countdowns"><span class="time-left tone-overdue"[^>]*>答复时限 已超时 5 分钟<', detail)


def test_list_filters_and_orders(app, world):
    first = world.ticket("pending_dispatch", category="MISC", request_type="help")
    second = world.ticket("accepted", lead="DEPT-A")
    third = world.ticket("accepted", lead="DEPT-B")
    set_due(world, third, -10)
    with app.app_context():
        db.session.execute(update(Ticket).where(Ticket.number == second).values(urgency="urgent"))
        db.session.commit()
    client = signed_in(app, "supervisor")
    assert rows_of(page_of(client, "/tickets")) == [third, second, first]  # newest first
    assert rows_of(page_of(client, "/tickets?sort=taken")) == [first, second, third]
    assert rows_of(page_of(client, "/tickets?sort=urgency"))[0] == second
    assert rows_of(page_of(client, "/tickets?urgency=urgent")) == [second]
    assert rows_of(page_of(client, "/tickets?overdue=true")) == [third]
    assert rows_of(page_of(client, "/tickets?category=SOC")) == [third, second]  # with its sub-categories
    assert rows_of(page_of(client, "/tickets?area=D1")) == [third, second, first]  # the district's towns too
    assert rows_of(page_of(client, "/tickets?area=D2")) == []
    assert rows_of(page_of(client, "/tickets?unit=DEPT-B")) == [third]
    assert rows_of(page_of(client, "/tickets?date_from=2026-11-21&date_to=2026-11-21")) == [third, second, first]
    assert rows_of(page_of(client, "/tickets?date_from=2026-11-22")) == []
    # The queue takes the same filters.
    assert rows_of(page_of(client, "/queues/overdue?unit=DEPT-A")) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "登记日期（起）"),
        ("date_from=2026-11-22&date_to=2026-11-21", "登记日期（起）不能晚于登记日期（止）"),
        ("urgency=panic", "紧急程度"),
        ("sort=name;drop", "排序"),
        ("page=0", "页码"),
    ],
)
def test_wrong_filters_are_named_in_chinese(app, world, query, message):
    client = signed_in(app, "supervisor")
    for path in ("/tickets", "/queues/overdue", "/tickets/export.xlsx"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 302
        html = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "筛选条件有误" in html and message in html


def _sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(response.data)).active
    return [[c if c is not None else "" for c in row] for row in ws.iter_rows(values_only=True)]


def test_exports_keep_the_pages_visibility_filters_and_masking(app, world):
    own = world.ticket("accepted", lead="DEPT-A", phone="13912345678", content='=HYPERLINK("http://x") 回电13912345678')
    world.ticket("accepted", lead="DEPT-B", phone="13800138000")
    urgent = world.ticket("dispatched", lead="DEPT-A", phone="15012345678")
    set_due(world, own, -60)
    rows = _sheet(signed_in(app, "staff_a").get("/tickets/export.xlsx"))
    header = rows[2]
    numbers = [r[0] for r in rows[3:]]
    assert rows[0][0] == "工单列表" and header[0] == "工单编号" and "来电号码" in header
    assert sorted(numbers) == sorted([own, urgent])  # never DEPT-B's
    line = rows[3 + numbers.index(own)]
    assert line[header.index("来电号码")] == "139****5678"
    content = line[header.index("诉求内容")]
    assert content.startswith("'=HYPERLINK") and "13912345678" not in content  # no formula, number masked
    assert line[header.index("答复时限")].startswith("已超时 1 小时")
    # The same filters as the page.
    rows = _sheet(signed_in(app, "staff_a").get("/tickets/export.xlsx?overdue=true"))
    assert [r[0] for r in rows[3:]] == [own] and "仅已超时" in rows[1][0]
    # Whoever sees full numbers on the page sees them in the export.
    rows = _sheet(signed_in(app, "supervisor").get("/tickets/export.xlsx?unit=DEPT-A&sort=deadline"))
    assert rows[3][0] == own and rows[3][rows[2].index("来电号码")] == "13912345678"
    # A queue's export: the unit's own queue only.
    rows = _sheet(signed_in(app, "staff_b").get("/queues/doing/export.xlsx"))
    assert own not in [r[0] for r in rows[3:]] and rows[0][0] == "待办：办理中"


def test_queue_export_of_returned_tickets_carries_the_reason(app, world):
    returned = world.ticket("returned", lead="DEPT-A")
    rows = _sheet(signed_in(app, "dispatcher").get("/queues/returned/export.xlsx"))
    header = rows[2]
    assert rows[3][0] == returned
    assert rows[3][header.index("退回理由")] == "市人力资源和社会保障局退回：非本单位职责"


def test_unknown_queue_is_404(app, world):
    assert signed_in(app, "operator").get("/queues/nothing").status_code == 404
