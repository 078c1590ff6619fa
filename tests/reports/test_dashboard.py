"""The supervisor's dashboard (工作台) and the unit's version: each section's numbers on
hand-built tickets, the unit scope, masked numbers, the refresh endpoint, the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.reports import dashboard
from hotline.reports.dashboard_pages import duration_zh
from hotline.sla import sweep
from hotline.sla.models import Deadline
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket
from tests.conftest import FROZEN_NOW

NOW = FROZEN_NOW  # 2026-11-21 10:00 in Shanghai, a Saturday
FULL_PHONE = "13912345678"


@pytest.fixture
def app(make_app):
    """The suite's frozen Saturday, not tests/reports' 10 December."""
    return make_app(CLOCK=lambda: NOW)


def _set_due(world, number, due_at):
    """Put the ticket's open reply deadline (and the ticket's own copy) at ``due_at``."""
    with world.app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
        db.session.execute(
            update(Deadline)
            .where(Deadline.ticket_id == ticket_id, Deadline.stopped_at.is_(None))
            .values(due_at=due_at, warn_at=None, red_at=None, next_check_at=None)
        )
        db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(reply_due_at=due_at))
        db.session.commit()


@pytest.fixture
def city(world):
    """Tickets with known deadlines around NOW:

    DEPT-A: due in 30 min (content with a mobile number), due in 1 h 59 min, due in exactly
    2 h (not "soon"), overdue by 3 h, overdue by 26 h, an extension request (due in 5 h),
    a replied ticket whose deadline would be due in 1 h (stopped: never counted);
    DEPT-B: overdue by 1 h, due in 10 min; DEPT-C: an extension request (due in 20 h).
    """
    t = {}
    t["a_30m"] = world.ticket("dispatched", lead="DEPT-A", content=f"楼道灯坏了，请回电{FULL_PHONE}，谢谢。")
    t["a_119m"] = world.ticket("accepted", lead="DEPT-A")
    t["a_120m"] = world.ticket("dispatched", lead="DEPT-A")
    t["a_over3h"] = world.ticket("accepted", lead="DEPT-A")
    t["a_over26h"] = world.ticket("dispatched", lead="DEPT-A")
    t["a_ext"] = world.ticket("extension_pending", lead="DEPT-A")
    t["a_replied"] = world.ticket("replied", lead="DEPT-A")
    t["b_over1h"] = world.ticket("dispatched", lead="DEPT-B")
    t["b_10m"] = world.ticket("accepted", lead="DEPT-B")
    t["c_ext"] = world.ticket("extension_pending", lead="DEPT-C")
    dues = {
        "a_30m": NOW + timedelta(minutes=30),
        "a_119m": NOW + timedelta(minutes=119),
        "a_120m": NOW + timedelta(hours=2),
        "a_over3h": NOW - timedelta(hours=3),
        "a_over26h": NOW - timedelta(hours=26),
        "a_ext": NOW + timedelta(hours=5),
        "b_over1h": NOW - timedelta(hours=1),
        "b_10m": NOW + timedelta(minutes=10),
        "c_ext": NOW + timedelta(hours=20),
    }
    for key, due in dues.items():
        _set_due(world, t[key], due)
    with world.app.app_context():  # the replied ticket's stopped deadline, due in an hour
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == t["a_replied"]))
        db.session.execute(
            update(Deadline).where(Deadline.ticket_id == ticket_id).values(due_at=NOW + timedelta(hours=1))
        )
        db.session.commit()
    return t


def _build(world, username, now=NOW):
    with world.app.app_context():
        return dashboard.build(world.user(username), now=now)


def _section(world, username, name, now=NOW):
    with world.app.app_context():
        return getattr(dashboard, name)(dashboard.scope_for(world.user(username)), now=now)


def test_due_soon_lists_open_deadlines_of_the_next_two_hours_soonest_first(city, world):
    d = _section(world, "supervisor", "due_soon")
    assert d["total"] == 3
    assert [r["ticket"] for r in d["items"]] == [city["b_10m"], city["a_30m"], city["a_119m"]]
    assert [r["minutes_left"] for r in d["items"]] == [10, 30, 119]
    first = d["items"][0]
    assert (first["unit"], first["unit_name"], first["kind"], first["kind_label"]) == (
        "DEPT-B",
        "市市场监督管理局",
        "reply",
        "答复时限",
    )
    assert first["due_at"] == "2026-11-21T10:10:00+08:00"
    assert first["status_label"] == "已签收"


def test_overdue_now_by_unit(city, world):
    o = _section(world, "supervisor", "overdue")
    assert (o["total"], o["unit_count"]) == (3, 2)
    assert [(u["unit"], u["tickets"], u["reply"], u["accept"], u["hours_over"]) for u in o["units"]] == [
        ("DEPT-A", 2, 2, 0, 26.0),
        ("DEPT-B", 1, 1, 0, 1.0),
    ]
    assert [r["ticket"] for r in o["items"]] == [city["a_over26h"], city["a_over3h"], city["b_over1h"]]
    assert [r["minutes_left"] for r in o["items"]] == [-26 * 60, -3 * 60, -60]


def test_extension_requests_waiting_for_a_decision(city, world):
    x = _section(world, "supervisor", "extension_requests")
    assert x["total"] == 2
    assert [(r["ticket"], r["unit"], r["hours"], r["reason"]) for r in x["items"]] == [
        (city["a_ext"], "DEPT-A", 24, "需现场核查"),
        (city["c_ext"], "DEPT-C", 24, "需现场核查"),
    ]
    assert x["items"][0]["minutes_left"] == 5 * 60
    # Decided: no longer waiting.
    with world.app.app_context():
        ticket = world.get(city["a_ext"])
        tickets.decide_extension(ticket, actor=world.user("supervisor"), now=NOW, approve=False, note="不同意")
        db.session.commit()
    x = _section(world, "supervisor", "extension_requests")
    assert [r["ticket"] for r in x["items"]] == [city["c_ext"]]


def test_a_unit_sees_only_its_own(city, world):
    a = _build(world, "staff_a")
    assert a["scope"] == {"unit": "DEPT-A", "unit_name": "市人力资源和社会保障局"}
    assert [r["ticket"] for r in a["due_soon"]["items"]] == [city["a_30m"], city["a_119m"]]
    assert a["overdue"]["total"] == 2 and [u["unit"] for u in a["overdue"]["units"]] == ["DEPT-A"]
    assert [r["ticket"] for r in a["extension_requests"]["items"]] == [city["a_ext"]]
    b = _build(world, "staff_b")
    assert [r["ticket"] for r in b["due_soon"]["items"]] == [city["b_10m"]]
    assert [r["ticket"] for r in b["overdue"]["items"]] == [city["b_over1h"]]
    assert b["extension_requests"] == {"total": 0, "items": []}
    units_seen = {r["unit"] for section in ("due_soon", "overdue") for r in b[section]["items"]}
    assert units_seen == {"DEPT-B"}
    assert "worst" not in str(b["month"]) and set(b["month"]["own"]) == {"replied_on_time", "satisfaction"}


def test_phone_numbers_are_masked_everywhere(city, world, app):
    data = _build(world, "supervisor")
    summary = next(r["summary"] for r in data["due_soon"]["items"] if r["ticket"] == city["a_30m"])
    assert "139****5678" in summary and FULL_PHONE not in summary
    for user in ("supervisor", "staff_a"):
        r = world.client(user).get("/api/v1/reports/dashboard")
        assert r.status_code == 200 and FULL_PHONE not in r.get_data(as_text=True)
        client = app.test_client()
        client.post("/login", data={"username": "staff_a" if user == "staff_a" else user, "password": "password-123"})
        page = client.get("/dashboard").get_data(as_text=True)
        assert city["a_30m"] in page and "139****5678" in page and FULL_PHONE not in page
        # No caller's number at all (the callers of the world's tickets have these).
        for phone in ("13800138000", "15012345678", "18612345678"):
            assert phone not in page


def _ticket_at(world, when, **kw):
    world.app.config["CLOCK"] = lambda: when
    try:
        return world.ticket(**kw)
    finally:
        world.app.config["CLOCK"] = lambda: FROZEN_NOW


def test_todays_volume_against_the_same_weekday_last_week(world):
    last_week = NOW - timedelta(days=7)  # Saturday 14 November, 10:00 local
    for minutes in (-60, -1):  # 09:00 and 09:59 last week: before "this time"
        _ticket_at(world, last_week + timedelta(minutes=minutes), state="dispatched", lead="DEPT-A")
    _ticket_at(world, last_week + timedelta(hours=5), state="dispatched", lead="DEPT-B")  # 15:00 last week
    _ticket_at(world, last_week - timedelta(hours=10, minutes=1), state="new")  # 23:59 on the Friday before
    for minutes in (-600, -30, -5):  # 00:00, 09:30 and 09:55 today
        _ticket_at(world, NOW + timedelta(minutes=minutes), state="dispatched", lead="DEPT-A")
    _ticket_at(world, NOW - timedelta(hours=10, minutes=1), state="new")  # 23:59 yesterday
    v = _section(world, "supervisor", "volume")
    assert v == {
        "today": 3,
        "last_week_same_time": 2,
        "last_week_whole_day": 3,
        "change": 0.5,
        "last_week_date": "2026-11-14",
    }
    # A unit: tickets dispatched to it (world.ticket dispatches two minutes after intake).
    a = _section(world, "staff_a", "volume")
    assert (a["today"], a["last_week_same_time"], a["last_week_whole_day"]) == (3, 1, 2)
    b = _section(world, "staff_b", "volume")
    assert (b["today"], b["last_week_same_time"], b["last_week_whole_day"], b["change"]) == (0, 0, 1, None)


def test_cards_this_month(world):
    a1 = world.ticket("dispatched", lead="DEPT-A")
    world.ticket("dispatched", lead="DEPT-A")
    world.ticket("dispatched", lead="DEPT-B")
    with world.app.app_context():  # past the 22 hours: yellow cards; past twice that: red
        sweep.run_sweep(NOW + timedelta(hours=23))
        c = dashboard.cards(dashboard.Scope(), now=NOW + timedelta(hours=23))
    assert (c["yellow"], c["red"], c["month"], c["label"]) == (3, 0, "2026-11", "2026年11月")
    assert [(u["unit"], u["yellow"], u["red"]) for u in c["units"]] == [("DEPT-A", 2, 0), ("DEPT-B", 1, 0)]
    with world.app.app_context():
        ticket = world.get(a1)
        sweep.run_sweep(NOW + timedelta(hours=50))
        later = NOW + timedelta(hours=50)
        own = dashboard.cards(dashboard.scope_for(world.user("staff_a")), now=later)
        december = dashboard.cards(dashboard.Scope(), now=NOW + timedelta(days=12))
    assert ticket is not None
    assert (own["yellow"], own["red"], own["units"]) == (2, 2, [])
    assert (december["yellow"], december["red"], december["month"]) == (0, 0, "2026-12")


def test_best_and_worst_five():
    def row(code, rate, den):
        return {"code": code, "name": code, "r": rate, "n": None if rate is None else round(rate * den), "d": den}

    rows = [
        row(f"U{i:02d}", rate, den)
        for i, (rate, den) in enumerate(
            [
                (1.0, 1),
                (1.0, 40),
                (0.9, 10),
                (0.5, 2),
                (None, 0),
                (0.0, 1),
                (0.0, 30),
                (0.8, 5),
                (0.7, 10),
                (0.6, 5),
                (0.95, 20),
                (0.4, 5),
            ]
        )
    ]
    ranked = dashboard.best_and_worst(rows, "r", ("n", "d"))
    assert ranked["rated_units"] == 11
    assert [r["unit"] for r in ranked["best"]] == ["U01", "U00", "U10", "U02", "U07"]
    assert [r["unit"] for r in ranked["worst"]] == ["U06", "U05", "U11", "U03", "U09"]
    assert ranked["best"][0] == {"unit": "U01", "unit_name": "U01", "rate": 1.0, "numerator": 40, "denominator": 40}
    # Fewer than ten: the upper half are the best, the lower half the worst; no unit in both.
    few = dashboard.best_and_worst(rows[:4], "r", ("n", "d"))
    assert [r["unit"] for r in few["best"]] == ["U01", "U00"]
    assert [r["unit"] for r in few["worst"]] == ["U03", "U02"]
    tied = dashboard.best_and_worst([row("X1", 1.0, 3), row("X2", 1.0, 1)], "r", ("n", "d"))
    assert [r["unit"] for r in tied["best"]] == ["X1"] and tied["worst"] == []  # equal rates: nobody is worst
    odd = dashboard.best_and_worst(rows[:3], "r", ("n", "d"))
    assert [r["unit"] for r in odd["best"]] == ["U01", "U00"] and [r["unit"] for r in odd["worst"]] == ["U02"]


def test_duration_in_words():
    assert [duration_zh(m) for m in (0, 45, 60, 80, -90, 24 * 60, 26 * 60 + 5)] == [
        "0分钟",
        "45分钟",
        "1小时",
        "1小时20分",
        "1小时30分",
        "1天",
        "1天2小时",
    ]


def test_month_rates_per_unit(world):
    """DEPT-A replied on time and the caller was satisfied; DEPT-B replied late, dissatisfied."""
    world.ticket("closed", lead="DEPT-A")
    late = world.ticket("accepted", lead="DEPT-B")
    with world.app.app_context():
        ticket = world.get(late)
        when = NOW + timedelta(hours=23)
        tickets.reply(ticket, actor=world.user("staff_b"), now=when, content="已处理")
        tickets.callback(
            ticket,
            actor=world.user("operator"),
            now=when + timedelta(hours=1),
            satisfaction="dissatisfied",
            resolved=False,
        )
        db.session.commit()
    later = NOW + timedelta(days=1, hours=2)
    m = _build(world, "supervisor", now=later)["month"]
    assert m["month"] == "2026-11"
    on_time = m["replied_on_time"]
    assert [(r["unit"], r["rate"], r["numerator"], r["denominator"]) for r in on_time["best"]] == [
        ("DEPT-A", 1.0, 1, 1)
    ]
    assert [(r["unit"], r["rate"], r["numerator"], r["denominator"]) for r in on_time["worst"]] == [
        ("DEPT-B", 0.0, 0, 1)
    ]
    assert on_time["rated_units"] == 2
    sat = m["satisfaction"]
    assert [(r["unit"], r["rate"]) for r in sat["best"] + sat["worst"]] == [("DEPT-A", 1.0), ("DEPT-B", 0.0)]
    own = _build(world, "staff_b", now=later)["month"]["own"]
    assert (own["replied_on_time"]["rate"], own["replied_on_time"]["denominator"]) == (0.0, 1)
    assert own["satisfaction"]["unit"] == "DEPT-B"


def test_month_figures_are_kept_a_few_minutes_and_computed_in_the_background(world, app):
    later = NOW + timedelta(hours=1)  # after the callbacks of the tickets below
    app.config["DASHBOARD_CACHE_SECONDS"] = 300
    world.ticket("closed", lead="DEPT-A")
    cold = _build(world, "supervisor", now=later)["month"]
    assert cold == {"month": "2026-11", "label": "2026年11月", "pending": True}  # no request waits for them
    first = _wait_for_month(world, "supervisor", later)
    assert first["satisfaction"]["rated_units"] == 1
    world.ticket("closed", lead="DEPT-B")
    again = _build(world, "supervisor", now=later)["month"]
    assert again == first  # the same figures, computed once
    assert _wait_for_month(world, "staff_b", later)["own"]["satisfaction"]["denominator"] == 1  # its own scope
    # Stale: the old figures at once, the new ones computed in the background.
    key = ("month", "2026-11", "*")
    store = app.extensions["hotline.dashboard_cache"]
    store[key] = (0, store[key][1])
    assert _build(world, "supervisor", now=later)["month"] == first
    fresh = _wait_for_month(world, "supervisor", later, until=lambda m: m["satisfaction"]["rated_units"] == 2)
    assert fresh["satisfaction"]["rated_units"] == 2


def _wait_for_month(world, user, now, until=lambda month: True):
    import time

    for _ in range(200):
        month = _build(world, user, now=now)["month"]
        if not month["pending"] and until(month):
            return month
        time.sleep(0.05)
    raise AssertionError("the month's figures were not computed in the background")


def _signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def test_supervisors_and_unit_staff_land_on_the_dashboard(world, app):
    # Each role starts at its work queue (hotline/queues); the dashboard is one click away.
    for user, lands in (("supervisor", "/queues"), ("staff_a", "/queues"), ("operator", "/queues")):
        assert _signed_in(app, user).get("/").headers["Location"] == lands


def test_the_page_shows_each_section_in_chinese(city, world, app):
    page = _signed_in(app, "supervisor").get("/dashboard").get_data(as_text=True)
    for text in ("督办工作台", "两小时内到期的工单", "待审批的延期申请", "当前超时（按单位）", "今日受理", "本月亮牌"):
        assert text in page
    assert f'href="/tickets/{city["a_ext"]}#action-decide-extension"' in page  # each request links to its ticket
    assert "市市场监督管理局" in page and "剩10分钟" in page and "已超时1天2小时" in page
    unit_page = _signed_in(app, "staff_b").get("/dashboard").get_data(as_text=True)
    assert "市市场监督管理局 · 工作台" in unit_page and city["b_10m"] in unit_page
    for other in (city["a_30m"], city["a_ext"], city["c_ext"], "市人力资源和社会保障局"):
        assert other not in unit_page
    assert "审批</a>" not in unit_page  # the unit cannot decide


def test_refresh_endpoint(city, world, app):
    client = _signed_in(app, "staff_a")
    r = client.get("/ui/dashboard", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.is_json
    assert city["a_30m"] in r.json["html"] and city["b_10m"] not in r.json["html"]
    assert r.json["generated_at"] == "2026-11-21T10:00:00+08:00" and r.json["updated_at"] == "10:00"
    world.ticket("extension_pending", lead="DEPT-A")
    assert r.json["html"].count("需现场核查") + 1 == client.get("/ui/dashboard").json["html"].count("需现场核查")
    anonymous = app.test_client().get("/ui/dashboard", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401 and anonymous.json["error"]["message_zh"]
    assert _signed_in(app, "operator").get("/ui/dashboard").status_code == 403


def test_api_same_data_with_scope(city, world):
    r = world.client("supervisor").get("/api/v1/reports/dashboard")
    assert r.status_code == 200
    assert r.json["due_soon"]["total"] == 3 and r.json["scope"]["unit"] is None
    assert r.json["overdue"]["units"][0]["unit"] == "DEPT-A"
    mine = world.client("staff_b").get("/api/v1/reports/dashboard").json
    assert mine["scope"]["unit"] == "DEPT-B" and mine["due_soon"]["total"] == 1
    assert mine["month"]["own"] is not None and mine["month"]["replied_on_time"] is None
    assert world.client("dispatcher").get("/api/v1/reports/dashboard").status_code == 403
    assert world.client().get("/api/v1/reports/dashboard").status_code == 401
    spec = world.client().get("/api/v1/openapi.json").json
    assert "/api/v1/reports/dashboard" in spec["paths"]


BURST = [
    "东湖路水管爆裂，整栋楼停水了。",
    "我家突然停水，听说是东湖路水管爆了。",
    "停水一上午了，什么时候来水？",
    "东湖街道大面积停水，没有任何通知。",
    "小区没水了，自来水公司说在抢修。",
    "断水一整天，老人孩子都没水用。",
]


def test_current_spikes_for_supervisors_not_for_units(world, app):
    from hotline.reports import topics_spikes

    app.config["TOPICS_TERMS_INLINE"] = True  # no Redis here: write each ticket's terms after its commit
    start = NOW - timedelta(hours=8)
    numbers = []
    with app.app_context():
        for i, text in enumerate(BURST):
            ticket, _ = tickets.create(
                actor=world.user("operator"),
                now=start + timedelta(hours=i),
                data=tickets.NewTicket(
                    caller_phone=f"1370000000{i}", request_type="complaint", category="MISC", content=text, area="D1-T1"
                ),
            )
            numbers.append(ticket.number)
            db.session.commit()  # each ticket's terms are written after its commit
        topics_spikes.detect(now=NOW)
        db.session.commit()
    s = _section(world, "supervisor", "spikes")
    assert s["total"] == 1
    [spike] = s["items"]
    assert (spike["callers"], spike["tickets_count"], spike["area_name"]) == (6, 6, "东城区东湖街道")
    assert "停水" in spike["keywords"] and spike["first_at"] == "2026-11-21T02:00:00+08:00"
    assert spike["tickets"] == list(reversed(numbers))[:5]  # the latest five
    assert _section(world, "staff_a", "spikes") is None
    page = _signed_in(app, "supervisor").get("/dashboard").get_data(as_text=True)
    assert "当前突发热点" in page and spike["label"] in page and numbers[-1] in page
    unit_page = _signed_in(app, "staff_a").get("/dashboard").get_data(as_text=True)
    assert "当前突发热点" not in unit_page and numbers[-1] not in unit_page
    assert world.client("staff_a").get("/api/v1/reports/dashboard").json["spikes"] is None
    assert world.client("admin").get("/api/v1/reports/dashboard").json["spikes"]["total"] == 1


def test_with_redis_the_month_figures_are_kept_in_redis_for_every_process(world, app, redis_url):
    import json

    import redis

    from hotline.reports.dashboard_cache import redis_key

    later = NOW + timedelta(hours=1)
    world.ticket("closed", lead="DEPT-A")  # its jobs inline, before Redis is configured
    app.config.update(REDIS_URL=redis_url, DASHBOARD_CACHE_SECONDS=300)
    assert _build(world, "supervisor", now=later)["month"]["pending"] is True
    first = _wait_for_month(world, "supervisor", later)
    assert first["satisfaction"]["rated_units"] == 1
    assert "hotline.dashboard_cache" not in app.extensions  # nothing kept in the process
    client = redis.Redis.from_url(redis_url)
    name = redis_key(("month", "2026-11", "*"))
    kept = json.loads(client.get(name))
    assert kept["value"]["satisfaction"] == first["satisfaction"] and client.ttl(name) > 300
    # What another process (or host) stored is what this one shows.
    kept["value"]["satisfaction"]["rated_units"] = 7
    client.set(name, json.dumps(kept))
    assert _build(world, "supervisor", now=later)["month"]["satisfaction"]["rated_units"] == 7
    # Expired: the old value at once, the next computed once in the background, the lock freed.
    kept["expires"] = 0
    client.set(name, json.dumps(kept))
    assert _build(world, "supervisor", now=later)["month"]["satisfaction"]["rated_units"] == 7
    fresh = _wait_for_month(world, "supervisor", later, until=lambda m: m["satisfaction"]["rated_units"] == 1)
    assert fresh["satisfaction"] == first["satisfaction"]
    assert client.get(name + ":refreshing") is None
    client.close()


def test_without_redis_reachable_the_process_cache_is_used(world, app):
    later = NOW + timedelta(hours=1)
    world.ticket("closed", lead="DEPT-A")
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", DASHBOARD_CACHE_SECONDS=300)  # nothing listens there
    assert _wait_for_month(world, "supervisor", later)["satisfaction"]["rated_units"] == 1
    assert app.extensions["hotline.dashboard_cache"]
