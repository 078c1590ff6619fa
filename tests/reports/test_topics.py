"""Hot topics and spikes, on texts written for these tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.reports import topics, topics_lexicon, topics_spikes, topics_terms
from hotline.reports.topics_models import Spike, TicketTerm, TicketTermSet
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket

# Same issue, different words.
LAMPS = [
    "幸福路的路灯坏了，晚上一片漆黑，行人很不安全。",
    "您好，小区门口的路灯坏了一个星期，夜里出行很不方便。",
    "请问路灯晚上不亮谁来修？走夜路看不见。",
    "我们这条街的路灯总是不亮，晚上很黑，希望尽快维修。",
    "和平路路灯损坏，晚上不亮，请相关部门维修。",
]
NOISE = [
    "工地夜间施工噪音太大，影响休息。",
    "晚上工地施工噪声扰民，睡不着觉。",
    "附近工地凌晨还在施工，噪音扰民。",
    "建筑工地夜间施工，噪音很大，投诉多次没人管。",
]
WATER = [
    "小区突然停水，也没有提前通知。",
    "家里断水两天了，自来水公司电话打不通。",
    "我们楼没水了，自来水什么时候能恢复？",
    "停水三天了，自来水管道维修太慢。",
]
OTHER = ["想咨询一下社保卡怎么补办。", "公积金提取需要哪些材料？"]

NOV = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 5 November
OCT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
_phones = itertools.count(1)


def _phone() -> str:
    return f"1380000{next(_phones):04d}"


@pytest.fixture
def app(make_app):
    """Terms written right after each intake's commit (inline: there is no Redis here)."""
    return make_app(TOPICS_TERMS_INLINE=True)


def make(app, content, *, at, area="D1-T1", phone=None, category="MISC"):
    """Record a ticket at ``at`` through intake (its terms are written after the commit)."""
    with app.app_context():
        from hotline.accounts.models import User

        operator = db.session.scalar(select(User).where(User.username == "operator"))
        ticket, _ = tickets.create(
            actor=operator,
            now=at,
            data=tickets.NewTicket(
                caller_phone=phone or _phone(), request_type="complaint", category=category, content=content, area=area
            ),
        )
        db.session.commit()
        return ticket.id


def _month(app, month="2026-11"):
    return topics.month_period(month, app.config["TIMEZONE"])


def _by_keyword(found, keyword):
    matches = [t for t in found if keyword in t["keywords"]]
    assert len(matches) == 1, found
    return matches[0]


# --- terms ---------------------------------------------------------------------------


def test_stop_words_are_gone_and_synonyms_joined(app_ctx):
    terms = dict(topics_lexicon.analyse("您好，请问我想反映一个问题：市民希望咨询，小区断水了，情况严重，投诉！"))
    assert "停水" in terms  # 断水 is said as 停水
    for word in ("您好", "请问", "反映", "问题", "市民", "希望", "咨询", "投诉", "情况", "严重", "小区", "断水"):
        assert word not in terms
    assert topics_lexicon.analyse("您好，请问，谢谢！") == []
    assert dict(topics_lexicon.analyse("A3区12345热线2026年")) == {}  # codes, digits and Latin letters


def test_without_redis_the_backfill_writes_the_terms_not_the_intake_request(world, make_app):
    embedded = make_app()  # the same database, TOPICS_TERMS_INLINE off
    ticket_id = make(embedded, LAMPS[0], at=NOV)
    with embedded.app_context():
        assert db.session.scalar(select(func.count()).where(TicketTerm.ticket_id == ticket_id)) == 0
        topics_spikes.detect(now=NOV + timedelta(minutes=10))  # analyses its window first
        db.session.commit()
        assert "路灯" in set(db.session.scalars(select(TicketTerm.term).where(TicketTerm.ticket_id == ticket_id)))


def test_terms_are_written_after_the_intake_commit_and_only_once(world, app):
    with app.app_context():
        from hotline.accounts.models import User

        operator = db.session.scalar(select(User).where(User.username == "operator"))
        ticket, _ = tickets.create(
            actor=operator,
            now=NOV,
            data=tickets.NewTicket(caller_phone=_phone(), request_type="help", category="MISC", content=LAMPS[0]),
        )
        ticket_id = ticket.id
        assert db.session.scalar(select(func.count()).select_from(TicketTerm)) == 0  # not before the commit
        db.session.commit()
    with app.app_context():
        rows = db.session.execute(
            select(TicketTerm.term, TicketTerm.created_at, TicketTerm.caller_id).where(
                TicketTerm.ticket_id == ticket_id
            )
        ).all()
        assert "路灯" in {r.term for r in rows}
        assert {r.created_at for r in rows} == {NOV}
        # Again, by the job and by the backfill: nothing more is written.
        assert topics_terms.write_terms(ticket_id) == 0
        assert topics_terms.backfill(now=NOV) == 0
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(TicketTerm.ticket_id == ticket_id)) == len(rows)
        assert db.session.get(TicketTermSet, ticket_id).version == topics_lexicon.ANALYZER_VERSION


def test_backfill_writes_missing_terms_and_redoes_an_older_version(world, app, monkeypatch):
    first = make(app, NOISE[0], at=NOV)
    with app.app_context():
        db.session.execute(TicketTerm.__table__.delete())
        db.session.execute(TicketTermSet.__table__.delete())  # as if the job had been lost
        db.session.commit()
        assert topics_terms.missing_ids(limit=10) == [first]
        assert topics_terms.backfill(now=NOV) == 1
        db.session.commit()
        assert "噪音" in set(db.session.scalars(select(TicketTerm.term).where(TicketTerm.ticket_id == first)))
        monkeypatch.setattr(topics_terms, "ANALYZER_VERSION", topics_lexicon.ANALYZER_VERSION + 1)
        monkeypatch.setattr(topics_lexicon, "STOP_WORDS", topics_lexicon.STOP_WORDS | {"噪音"})
        assert topics_terms.backfill(now=NOV) == 1
        db.session.commit()
        assert "噪音" not in set(db.session.scalars(select(TicketTerm.term).where(TicketTerm.ticket_id == first)))
        assert topics_terms.backfill(now=NOV) == 0


# --- hot topics ------------------------------------------------------------------------


def _november(app):
    ids = {}
    for group, texts in (("lamps", LAMPS), ("noise", NOISE), ("water", WATER), ("other", OTHER)):
        ids[group] = [make(app, text, at=NOV + timedelta(hours=i)) for i, text in enumerate(texts)]
    return ids


def test_topics_group_the_same_issue_and_keep_different_issues_apart(world, app):
    ids = _november(app)
    with app.app_context():
        found = topics.hot_topics(_month(app), now=NOV + timedelta(days=20))
        numbers = {
            group: set(db.session.scalars(select(Ticket.number).where(Ticket.id.in_(tids))))
            for group, tids in ids.items()
        }
    assert len(found) == 3
    lamps, water, noise = (_by_keyword(found, k) for k in ("路灯", "停水", "噪音"))
    assert set(lamps["tickets"]) == numbers["lamps"] and lamps["count"] == 5
    assert set(water["tickets"]) == numbers["water"] and water["count"] == 4  # 断水, 没水, 停水
    assert set(noise["tickets"]) == numbers["noise"] and noise["count"] == 4
    assert found[0] is lamps  # the biggest first
    assert lamps["callers"] == 5
    assert lamps["areas"] == [{"code": "D1-T1", "name": "东城区东湖街道", "count": 5}]
    assert lamps["categories"] == [{"code": "MISC", "name": "其他", "count": 5}]
    for topic in found:
        assert not set(topic["keywords"]) & topics_lexicon.STOP_WORDS


def test_change_is_against_the_month_before_and_exact(world, app):
    _november(app)
    make(app, LAMPS[3], at=OCT)
    make(app, LAMPS[4], at=OCT + timedelta(days=1))
    make(app, NOISE[0], at=OCT + timedelta(days=2))
    make(app, LAMPS[0], at=datetime(2026, 9, 20, tzinfo=UTC))  # two months before: not compared
    make(app, LAMPS[1], at=datetime(2026, 12, 1, 3, tzinfo=UTC))  # December in Shanghai
    with app.app_context():
        found = topics.hot_topics(_month(app), now=datetime(2026, 12, 2, tzinfo=UTC))
    lamps, noise, water = (_by_keyword(found, k) for k in ("路灯", "噪音", "停水"))
    assert (lamps["count"], lamps["previous"], lamps["change"]) == (5, 2, 3)
    assert (noise["count"], noise["previous"], noise["change"]) == (4, 1, 3)
    assert (water["count"], water["previous"], water["change"]) == (4, 0, 4)


def test_filters_by_area_and_category_and_counts_up_to_now(world, app):
    _november(app)
    for text in LAMPS[:3]:
        make(app, text, at=NOV + timedelta(days=1), area="D2")
    with app.app_context():
        d2 = db.session.scalar(
            select(Ticket.area_unit_id)
            .where(Ticket.content == LAMPS[0], Ticket.area_unit_id.isnot(None))
            .order_by(Ticket.id.desc())
        )
        found = topics.hot_topics(_month(app), now=NOV + timedelta(days=20), area_unit_id=d2)
        assert [(t["count"], "路灯" in t["keywords"]) for t in found] == [(3, True)]
        everywhere = _by_keyword(topics.hot_topics(_month(app), now=NOV + timedelta(days=20)), "路灯")
        assert everywhere["count"] == 8
        assert [a["code"] for a in everywhere["areas"]] == ["D1-T1", "D2"]
        # Before the day of the D2 tickets: only the first five count.
        early = topics.hot_topics(_month(app), now=NOV + timedelta(hours=23))
        assert _by_keyword(early, "路灯")["count"] == 5
        from hotline.categories.models import Category

        soc = db.session.scalar(select(Category.id).where(Category.code == "SOC"))
        assert topics.hot_topics(_month(app), now=NOV + timedelta(days=20), category_id=soc) == []


def test_a_month_without_tickets_has_no_topics(world, app):
    with app.app_context():
        assert topics.hot_topics(_month(app, "2026-01"), now=NOV) == []


# --- spikes ----------------------------------------------------------------------------

BURST = [
    "东湖路水管爆裂，整栋楼停水了。",
    "我家突然停水，听说是东湖路水管爆了。",
    "停水一上午了，什么时候来水？",
    "东湖街道大面积停水，没有任何通知。",
    "小区没水了，自来水公司说在抢修。",
    "断水一整天，老人孩子都没水用。",
]


def _open_spikes(app):
    with app.app_context():
        return db.session.scalars(select(Spike).where(Spike.closed_at.is_(None))).all()


def _detect(app, now):
    with app.app_context():
        topics_spikes.detect(now=now)
        db.session.commit()
        return topics.current_spikes(now)


def test_a_burst_is_flagged_once_while_it_happens_and_closed_after(world, app):
    start = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    for i, text in enumerate(BURST[:3]):
        make(app, text, at=start + timedelta(hours=i))
    assert _detect(app, start + timedelta(hours=3)) == []  # three callers: not yet
    for i, text in enumerate(BURST[3:]):
        make(app, text, at=start + timedelta(hours=4 + i))
    spikes = _detect(app, start + timedelta(hours=8))
    assert len(spikes) == 1
    spike = spikes[0]
    assert spike["keywords"][0] == "停水" and spike["count"] == 6
    assert spike["area"] == {"code": "D1-T1", "name": "东城区东湖街道"}
    assert spike["first_at"] == start and len(spike["tickets"]) == 6
    # More calls and more runs: the same spike, updated.
    make(app, "停水到现在还没恢复。", at=start + timedelta(hours=10))
    again = _detect(app, start + timedelta(hours=11))
    assert [(s["id"], s["count"]) for s in again] == [(spike["id"], 7)]
    assert len(_detect(app, start + timedelta(hours=11, minutes=10))) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Spike)) == 1
    # Three days later the calls have stopped: the spike is closed, and not opened again.
    assert _detect(app, start + timedelta(hours=90)) == []
    assert _open_spikes(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Spike)) == 1


def test_a_steady_trickle_is_not_a_spike(world, app):
    start = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    for day in range(40):  # one new caller a day about the same lamps, for 40 days
        make(app, LAMPS[day % len(LAMPS)], at=start + timedelta(days=day), area="D2")
    for day in range(30, 41, 2):
        assert _detect(app, start + timedelta(days=day, hours=1)) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Spike)) == 0


def test_one_caller_calling_many_times_is_not_a_spike(world, app):
    start = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    for i, text in enumerate(BURST):
        make(app, text, at=start + timedelta(hours=i), phone="13900001111")
    assert _detect(app, start + timedelta(hours=8)) == []


# --- API -------------------------------------------------------------------------------


def test_hot_topics_api(world, app):
    _november(app)
    response = world.client("supervisor").get("/api/v1/reports/hot-topics?month=2026-11&limit=2")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["period"]["label"] == "2026-11"
    assert [t["count"] for t in body["topics"]] == [5, 4]
    assert set(body["topics"][0]) >= {"label", "keywords", "count", "change", "areas", "categories", "tickets"}
    assert world.client("staff_a").get("/api/v1/reports/hot-topics").status_code == 403


@pytest.mark.parametrize(
    "query, field",
    [
        ("month=2026-13", "month"),
        ("month=2026-11&from=2026-11-01&to=2026-11-02", "month"),
        ("from=2026-11-01", "to"),
        ("from=2026-11-05&to=2026-11-01", "to"),
        ("from=2025-01-01&to=2026-11-01", "to"),
        ("category=NOPE", "category"),
        ("area=DEPT-A", "area"),
        ("limit=0", "limit"),
    ],
)
def test_hot_topics_api_refuses_bad_filters(world, query, field):
    response = world.client("supervisor").get(f"/api/v1/reports/hot-topics?{query}")
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message_zh"]


def test_spikes_api(world, app):
    start = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # the test clock is 21 November, 02:00 UTC
    for i, text in enumerate(BURST):
        make(app, text, at=start + timedelta(hours=i))
    _detect(app, start + timedelta(hours=8))
    response = world.client("admin").get("/api/v1/reports/spikes")
    assert response.status_code == 200
    [spike] = response.json["spikes"]
    assert spike["count"] == 6 and spike["area"]["code"] == "D1-T1" and len(spike["tickets"]) == 6
    assert world.client("supervisor").get("/api/v1/reports/spikes?area=D2").json["spikes"] == []
    assert world.client("staff_a").get("/api/v1/reports/spikes").status_code == 403


def test_hot_topics_page(world, app):
    _november(app)
    client = app.test_client()
    client.post("/login", data={"username": "supervisor", "password": "password-123"})
    page = client.get("/reports/hot-topics?month=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "热点诉求" in html and "路灯" in html and "/tickets/" in html
    bad = client.get("/reports/hot-topics?month=2026-13", follow_redirects=True)
    assert bad.status_code == 200 and "筛选条件有误" in bad.get_data(as_text=True)


# --- snapshots of closed months ----------------------------------------------------------


def test_a_closed_month_is_read_from_its_snapshot_while_its_terms_are_unchanged(world, app):
    from hotline.reports import topics_snapshots
    from hotline.reports.topics_models import HotTopicSnapshot

    for i, text in enumerate(LAMPS + NOISE):
        make(app, text, at=OCT + timedelta(hours=i))
    october = _month(app, "2026-10")
    with app.app_context():
        live = topics.hot_topics(october, now=NOV)
        assert topics_snapshots.refresh_job() == 2  # October and September (test clock: 21 November)
        assert topics_snapshots.refresh_job() == 0  # nothing changed
        snap = db.session.scalar(select(HotTopicSnapshot).where(HotTopicSnapshot.period_start == october.start))
        assert snap.payload == live
        # Read from the snapshot: the same answer (altered here to show where it comes from).
        snap.payload = [dict(live[0], label="来自快照"), *live[1:]]
        db.session.commit()
        assert topics.hot_topics(october, now=NOV)[0]["label"] == "来自快照"
        assert topics.hot_topics(october, now=NOV, limit=1) == [dict(live[0], label="来自快照")]
        # Filters are computed each time.
        d1t1 = db.session.scalar(select(Ticket.area_unit_id).where(Ticket.area_unit_id.isnot(None)))
        assert topics.hot_topics(october, now=NOV, area_unit_id=d1t1)[0]["label"] == live[0]["label"]
    # A late ticket of October: the snapshot is no longer used, and the next run replaces it.
    make(app, LAMPS[0], at=OCT + timedelta(days=3))
    with app.app_context():
        fresh = topics.hot_topics(october, now=NOV)
        assert fresh[0]["label"] == live[0]["label"] and fresh[0]["count"] == live[0]["count"] + 1
        assert topics_snapshots.refresh_job() == 1
        assert topics.hot_topics(october, now=NOV) == fresh
