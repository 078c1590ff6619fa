"""Groups of duplicates in the dispatcher's 待派单 queue, and dispatching a group at once:
all or nothing, each ticket with its own dispatch event and deadlines."""

from sqlalchemy import select

from hotline.extensions import db
from hotline.sla.models import Deadline
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units.queries import get_by_code
from tests.api.test_query_counts import counted

PIPE = "东湖路和解放路路口的自来水管爆裂了，水流满马路"


def _to_area(world, number, area):
    with world.app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
        ticket.area_unit_id = get_by_code(area).id
        db.session.commit()


def _web(app, username):
    web = app.test_client()
    assert web.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return web


def _state(app, numbers):
    """number → (status, lead unit code, dispatch events, open deadlines' kinds)."""
    with app.app_context():
        out = {}
        for number in numbers:
            t = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
            events = db.session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "dispatch")
            ).all()
            kinds = db.session.scalars(
                select(Deadline.kind).where(Deadline.ticket_id == t.id, Deadline.stopped_at.is_(None))
            ).all()
            out[number] = (t.status, t.lead_unit.code if t.lead_unit else None, [e.note for e in events], sorted(kinds))
        return out


def test_the_queue_shows_a_group_of_duplicates_as_one_line(world, app):
    head = world.ticket("pending_dispatch", content=f"{PIPE}，请赶快来修")
    member = world.ticket("pending_dispatch", content=f"紧急：{PIPE}！")
    elsewhere = world.ticket("pending_dispatch", content=PIPE)
    unrelated = world.ticket("pending_dispatch", content="小区门口有人占道经营卖水果，影响通行")
    _to_area(world, elsewhere, "D2")

    web = _web(app, "dispatcher")
    with counted(app) as calls:
        page = web.get("/queues/dispatch").get_data(as_text=True)
    # The head's line lists its member; the member has no line of its own; the others keep theirs.
    assert f'data-number="{head}"' in page and f'data-number="{member}"' not in page
    assert f'data-number="{elsewhere}"' in page and f'data-number="{unrelated}"' in page
    assert page.count("另有 1 件相似来电") == 1 and f">{member}</a>" in page
    assert f"/tickets/{head}#action-dispatch-group" in page and "共 4 件" in page

    # Grouping costs no query: three more duplicates, the same statements.
    more = [world.ticket("pending_dispatch", content=f"{PIPE}（第 {i} 次来电）") for i in range(3)]
    with counted(app) as again:
        page = web.get("/queues/dispatch").get_data(as_text=True)
    assert len(again) == len(calls) and page.count("另有 4 件相似来电") == 1
    assert not any(f'data-number="{n}"' in page for n in more)


def test_a_group_is_dispatched_all_or_nothing(world, app):
    head = world.ticket("pending_dispatch", content=f"{PIPE}，请赶快来修")
    one = world.ticket("pending_dispatch", content=f"紧急：{PIPE}！")
    two = world.ticket("pending_dispatch", content=f"{PIPE}，已经半小时了")
    gone = world.ticket("dispatched", content=PIPE)  # a duplicate dispatched meanwhile
    unrelated = world.ticket("pending_dispatch", content="小区门口有人占道经营卖水果，影响通行")
    url = f"/api/v1/tickets/{head}/dispatch-group"
    body = {"members": [one, gone, two], "lead_unit": "DEPT-B", "assist_units": ["DEPT-C"], "note": "同一爆管"}
    before = _state(app, [head, one, two])

    r = world.client("dispatcher").post(url, json=body)
    assert r.status_code == 409 and r.json["error"]["code"] == "member_not_pending"
    assert gone in r.json["error"]["message_zh"] and "本次未派出任何工单" in r.json["error"]["message_zh"]
    r = world.client("dispatcher").post(url, json=body | {"members": [one, unrelated]})
    assert r.status_code == 422 and r.json["error"]["field"] == "members" and unrelated in r.json["error"]["message_zh"]
    assert _state(app, [head, one, two]) == before  # nothing changed
    assert all(s[0] == "pending_dispatch" and not s[2] for s in before.values())

    # Operators dispatch one ticket at a time; unit staff never see tickets awaiting dispatch.
    assert world.client("operator").post(url, json=body | {"members": [one]}).status_code == 403
    assert world.client("staff_b").post(url, json=body | {"members": [one]}).status_code == 404

    r = world.client("dispatcher").post(url, json=body | {"members": [one, two]})
    assert r.status_code == 200 and r.json["dispatched"] == [head, one, two]
    after = _state(app, [head, one, two])
    for number, (status, lead, notes, kinds) in after.items():
        assert status == "dispatched" and lead == "DEPT-B" and len(notes) == 1, number
        assert "reply" in kinds and kinds == after[head][3], number  # each its own clocks
    assert after[head][2][0].endswith("（另 2 件）：同一爆管") and head in after[one][2][0]


def test_the_head_page_dispatches_the_members_chosen(world, app):
    head = world.ticket("pending_dispatch", content=f"{PIPE}，请赶快来修")
    one = world.ticket("pending_dispatch", content=f"紧急：{PIPE}！")
    left = world.ticket("pending_dispatch", content=f"{PIPE}，已经半小时了")
    web = _web(app, "dispatcher")
    page = web.get(f"/tickets/{head}").get_data(as_text=True)
    assert 'id="action-dispatch-group"' in page and f'name="members" value="{one}" checked' in page
    assert "一并派单（共 3 件）" in page
    assert 'id="action-dispatch-group"' not in _web(app, "operator").get(f"/tickets/{head}").get_data(as_text=True)

    r = web.post(f"/tickets/{head}/dispatch-group", data={"members": [one], "lead_unit": ""})
    assert r.status_code == 422 and "主办单位：不能为空" in r.get_data(as_text=True)
    r = web.post(f"/tickets/{head}/dispatch-group", data={"members": [one], "lead_unit": "DEPT-B"})
    assert r.status_code == 303
    state = _state(app, [head, one, left])
    assert state[head][0] == state[one][0] == "dispatched" and state[left][0] == "pending_dispatch"
