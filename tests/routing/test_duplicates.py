"""Probable duplicates: across a day boundary, within the window and the area, never another
unit's tickets to unit staff; GET /api/v1/tickets/<number>/similar and the merge on the page."""

from datetime import timedelta

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets.models import Ticket
from hotline.units.queries import get_by_code

PIPE = "东湖路和解放路路口的自来水管爆裂了，水流满马路"


def _move(world, number, *, hours_ago=None, area=None):
    with world.app.app_context():
        ticket = db.session.query(Ticket).filter_by(number=number).one()
        if hours_ago is not None:
            ticket.created_at = clock.now() - timedelta(hours=hours_ago)
        if area is not None:
            ticket.area_unit_id = get_by_code(area).id
        db.session.commit()


def test_similar_tickets_respect_the_window_the_area_and_what_the_viewer_may_see(world, app):
    newest = world.ticket("dispatched", lead="DEPT-B", content=f"{PIPE}，请赶快来修")
    before_midnight = world.ticket("dispatched", lead="DEPT-A", content=f"{PIPE}！")
    same_unit = world.ticket("dispatched", lead="DEPT-B", content=f"紧急：{PIPE}")
    too_old = world.ticket("dispatched", lead="DEPT-B", content=PIPE)
    elsewhere = world.ticket("dispatched", lead="DEPT-B", content=PIPE)
    unrelated = world.ticket("dispatched", lead="DEPT-B", content="小区门口有人占道经营卖水果")
    closed = world.ticket("closed", lead="DEPT-B", content=PIPE)
    # The test clock is 10:00 Shanghai: 11 hours ago is the evening before (another local day).
    _move(world, before_midnight, hours_ago=11)
    _move(world, too_old, hours_ago=24 * 4)
    _move(world, elsewhere, area="D2")

    r = world.client("operator").get(f"/api/v1/tickets/{newest}/similar")
    assert r.status_code == 200
    items = r.json["items"]
    assert {i["number"] for i in items} == {before_midnight, same_unit}
    assert all(0.3 <= i["score"] <= 1 for i in items) and items == sorted(items, key=lambda i: -i["score"])
    assert items[0]["area"] == "D1-T1" and items[0]["content"].startswith(("紧急", "东湖路"))
    assert unrelated not in {i["number"] for i in items} and closed not in {i["number"] for i in items}

    # Unit staff of DEPT-B never learn of DEPT-A's ticket.
    mine = world.client("staff_b").get(f"/api/v1/tickets/{newest}/similar").json["items"]
    assert [i["number"] for i in mine] == [same_unit]
    assert world.client("staff_c").get(f"/api/v1/tickets/{newest}/similar").status_code == 404

    # The intake form asks as the operator types (no ticket yet): the same, in the area given.
    web = app.test_client()
    assert web.post("/login", data={"username": "operator", "password": "password-123"}).status_code == 302
    typed = web.post("/ui/dispatch/similar", data={"content": PIPE, "area": "D1-T1"}).json["items"]
    assert {i["number"] for i in typed} == {newest, before_midnight, same_unit}
    assert typed[0]["status"] == "已派单" and typed[0]["url"].startswith("/tickets/")
    assert (
        web.post("/ui/dispatch/similar", data={"content": PIPE, "area": "D2"}).json["items"][0]["number"] == elsewhere
    )
    assert web.post("/ui/dispatch/similar", data={"content": PIPE, "area": "DEPT-A"}).status_code == 422
    r = web.post(
        "/tickets/new",
        data={
            "caller_phone": "13800138000",
            "request_type": "help",
            "category": "SOC.PEN",
            "area": "D1-T1",
            "content": PIPE,
            "channel": "phone",
            "urgency": "normal",
            "intent": f"merge:{newest}",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/tickets/{newest}")

    # The dispatcher's page lists them with a one-click merge.
    pending = world.ticket("pending_dispatch", content=PIPE)
    web = app.test_client()
    assert web.post("/login", data={"username": "dispatcher", "password": "password-123"}).status_code == 302
    page = web.get(f"/tickets/{pending}").get_data(as_text=True)
    assert f'name="into" value="{newest}"' in page and "可能的重复件" in page
    r = web.post(f"/tickets/{pending}/merge", data={"into": newest})
    assert r.status_code == 303
    with app.app_context():
        merged = db.session.query(Ticket).filter_by(number=pending).one()
        assert merged.status == "merged" and merged.duplicate_of.number == newest
