"""The deadline watch: each point recorded exactly once, at the written boundary."""

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.core import clock, signals
from hotline.extensions import db
from hotline.ops.models import FailedJob
from hotline.sla import services
from hotline.sla.models import Deadline, DeadlineRecord
from hotline.sla.sweep import run_sweep
from hotline.supervision.models import Card
from hotline.tickets.models import TicketEvent

from ..conftest import FROZEN_NOW

DISPATCHED = FROZEN_NOW + timedelta(minutes=2)  # world.ticket dispatches two minutes in
DUE = DISPATCHED + timedelta(hours=22)


def sweep(app, now, **kw):
    with app.app_context():
        result = run_sweep(now, **kw)
        return [(r.ticket_number, r.deadline_kind, r.kind, r.unit) for r in result.recorded]


def actions(app, number):
    with app.app_context():
        from hotline.tickets.models import Ticket

        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        return [
            e.action
            for e in db.session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        ]


WATCH = ("deadline_warning", "deadline_overdue", "yellow_card", "red_card")


def watch_actions(app, number):
    return [a for a in actions(app, number) if a in WATCH]


@pytest.fixture
def reached():
    seen = []

    def receiver(deadline, **kw):
        seen.append((deadline.id, kw["kind"], kw["ticket"].number, kw["unit_id"], kw["now"]))

    signals.deadline_reached.connect(receiver)
    yield seen
    signals.deadline_reached.disconnect(receiver)


def test_the_boundary_exactly_at_the_deadline_is_on_time(world, app, reached):
    number = world.ticket("dispatched")
    warn = DISPATCHED + timedelta(hours=22 * 0.8)
    assert sweep(app, warn) == []  # exactly at the warning point: not passed yet
    assert sweep(app, warn + timedelta(microseconds=1)) == [(number, "reply", "warning", "DEPT-A")]
    assert sweep(app, DUE) == []  # exactly at the deadline: on time
    assert sweep(app, DUE + timedelta(microseconds=1)) == [(number, "reply", "overdue", "DEPT-A")]
    assert watch_actions(app, number) == ["deadline_warning", "deadline_overdue", "yellow_card"]
    red = DISPATCHED + timedelta(hours=44)
    assert sweep(app, red) == []
    assert sweep(app, red + timedelta(seconds=1)) == [(number, "reply", "red", "DEPT-A")]
    assert sweep(app, red + timedelta(days=30)) == []
    assert watch_actions(app, number) == ["deadline_warning", "deadline_overdue", "yellow_card", "red_card"]
    assert [k for _, k, *_ in reached] == ["warning", "overdue", "red"]
    assert {n for _, _, n, _, _ in reached} == {number}
    with app.app_context():
        assert db.session.scalar(select(Deadline)).next_check_at is None


def test_one_late_sweep_records_every_passed_point_once_with_the_event_data(world, app, reached):
    number = world.ticket("accepted", lead="DEPT-B")
    late = DISPATCHED + timedelta(days=3)
    assert [k for *_, k, _ in sweep(app, late)] == ["warning", "overdue", "red"]
    assert sweep(app, late) == []
    r = world.client("supervisor").get(f"/api/v1/tickets/{number}").json
    events = [e for e in r["events"] if e["action"] in WATCH]
    assert [(e["action"], e["action_label"], e["actor"], e["actor_name"]) for e in events] == [
        ("deadline_warning", "超时预警", None, "系统"),
        ("deadline_overdue", "已超时", None, "系统"),
        ("yellow_card", "黄牌", None, "系统"),
        ("red_card", "红牌", None, "系统"),
    ]
    assert events[1]["data"]["unit"] == "DEPT-B" and events[1]["data"]["deadline"] == "reply"
    assert events[1]["data"]["due_at"] == "2026-11-22T08:02:00+08:00"
    reply = next(d for d in r["deadlines"] if d["kind"] == "reply")
    assert [x["kind"] for x in reply["records"]] == ["warning", "overdue", "red"]
    with app.app_context():
        unit_b = world.get(number).lead_unit_id
    assert [(k, u) for _, k, _, u, _ in reached] == [("warning", unit_b), ("overdue", unit_b), ("red", unit_b)]


def test_a_reply_on_time_stops_the_watch_and_a_late_reply_still_gets_its_yellow_card(world, app):
    on_time = world.ticket("replied")
    late = world.ticket("accepted")
    # The late one replies one minute after its deadline, before any sweep ran.
    with app.app_context():
        from hotline.tickets import services as tickets

        ticket = world.get(late)
        tickets.reply(ticket, actor=world.user("staff_a"), now=DUE + timedelta(minutes=1), content="迟到的答复")
        db.session.commit()
    recorded = sweep(app, DUE + timedelta(days=5))
    assert recorded == [(late, "reply", "overdue", "DEPT-A")]  # no warning after the clock stopped, no red
    assert watch_actions(app, on_time) == []
    assert watch_actions(app, late) == ["deadline_overdue", "yellow_card"]


def test_returned_and_merged_tickets_are_not_escalated(world, app):
    returned = world.ticket("returned")
    merged = world.ticket("merged")
    assert sweep(app, DUE + timedelta(days=5)) == []
    assert watch_actions(app, returned) == watch_actions(app, merged) == []


def test_an_extension_after_the_warning_moves_the_later_points_only(world, app):
    number = world.ticket("extension_pending")
    assert [k for *_, k, _ in sweep(app, DUE - timedelta(hours=1))] == ["warning"]
    r = world.client("supervisor").post(f"/api/v1/tickets/{number}/decide-extension", json={"approve": True})
    assert r.status_code == 200
    assert sweep(app, DUE + timedelta(hours=1)) == []  # the deadline moved by 24 h
    assert [k for *_, k, _ in sweep(app, DUE + timedelta(hours=25))] == ["overdue"]
    assert watch_actions(app, number) == ["deadline_warning", "deadline_overdue", "yellow_card"]


def test_the_sweep_reads_only_the_deadlines_due(world, app):
    due = world.ticket("dispatched")
    with app.app_context():
        # A hundred deadlines far in the future are never read.
        far = world.get(due)
        for i in range(100):
            db.session.add(
                Deadline(
                    ticket_id=far.id,
                    kind="rectification",
                    sequence=i + 1,
                    unit_id=far.lead_unit_id,
                    started_at=FROZEN_NOW,
                    due_at=FROZEN_NOW + timedelta(days=300),
                    next_check_at=FROZEN_NOW + timedelta(days=200),
                    extension_hours=0,
                    policy={},
                    calendar={},
                    extensions=[],
                    created_at=FROZEN_NOW,
                    updated_at=FROZEN_NOW,
                )
            )
        db.session.commit()
        result = run_sweep(DUE + timedelta(seconds=1))
        assert result.deadlines_checked == 1 and result.counts() == {"warning": 1, "overdue": 1, "red": 0}


def test_sweeps_commit_in_batches(world, app):
    numbers = [world.ticket("dispatched") for _ in range(5)]
    with app.app_context():
        result = run_sweep(DUE + timedelta(seconds=1), batch_size=2)
        assert result.batches == 3 and result.deadlines_checked == 5 and len(result.recorded) == 10
    assert all(watch_actions(app, n) == ["deadline_warning", "deadline_overdue", "yellow_card"] for n in numbers)


def test_a_failing_receiver_fails_its_deadline_only_and_it_is_retried(world, app, caplog):
    first, second = world.ticket("dispatched"), world.ticket("dispatched")
    with app.app_context():
        bad_ticket = world.get(first).id

    def explode(deadline, **kw):
        if kw["ticket"].id == bad_ticket:
            raise RuntimeError("receiver exploded")

    signals.deadline_reached.connect(explode)
    try:
        with app.app_context():
            result = run_sweep(DUE + timedelta(seconds=1))
            assert len(result.failed) == 1 and {r.ticket_number for r in result.recorded} == {second}
    finally:
        signals.deadline_reached.disconnect(explode)
    assert "receiver exploded" in caplog.text
    assert watch_actions(app, first) == []  # rolled back with its savepoint: nothing half-recorded
    assert [r[0] for r in sweep(app, DUE + timedelta(seconds=2))] == [first, first]  # retried, then recorded
    assert watch_actions(app, first) == watch_actions(app, second)


def test_cli_sweep_prints_what_it_recorded(world, app):
    number = world.ticket("dispatched")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["sla", "sweep", "--now", "2026-11-22T08:03:00+08:00"])
    assert r.exit_code == 0, r.output
    assert f"{number}\treply\twarning\tDEPT-A" in r.output and f"{number}\treply\toverdue\tDEPT-A" in r.output
    assert "1 deadline(s) checked, 1 warning(s), 1 overdue, 0 red card(s)" in r.output
    again = runner.invoke(args=["sla", "sweep", "--now", "2026-11-22T08:03:00"])  # local time without a zone
    assert again.exit_code == 0 and "0 deadline(s) checked" in again.output
    bad = runner.invoke(args=["sla", "sweep", "--now", "yesterday"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_the_sweep_warns_ahead_about_a_year_without_calendar_data(world, app):
    from datetime import UTC, datetime

    with app.app_context():
        run_sweep(datetime(2026, 11, 30, tzinfo=UTC))  # 45 days ahead reaches 2027
    warnings = world.client("admin").get("/api/v1/sla/calendar/warnings").json["items"]
    assert [w["year"] for w in warnings] == [2027]


def test_the_embedded_timer_sweeps_in_the_app_process_once(make_app):
    import threading

    from hotline.core import timer
    from tests.factories import World

    app = make_app(SWEEP_TIMER=True, SWEEP_INTERVAL_SECONDS=3600)
    with app.app_context():
        world = World.build(app)
    world.ticket("dispatched")
    app.config["CLOCK"] = lambda: DUE + timedelta(seconds=1)
    swept = threading.Event()

    def on_reached(deadline, **kw):
        swept.set()

    signals.deadline_reached.connect(on_reached)
    try:
        client = app.test_client()
        client.get("/healthz")  # the first request starts the timer, which sweeps at once
        assert swept.wait(20)
        first = timer._threads.get(os.getpid())
        client.get("/healthz")
        assert timer._threads.get(os.getpid()) is first and first.is_alive()
    finally:
        signals.deadline_reached.disconnect(on_reached)
        timer.stop()
    with app.app_context():
        assert db.session.query(DeadlineRecord).count() == 2


def test_the_embedded_timer_runs_the_other_periodic_jobs_too(make_app):
    import time

    from hotline.core import timer
    from hotline.notifications.models import Notification
    from knowledge_base.models import Flag
    from tests.factories import World

    app = make_app(SWEEP_INTERVAL_SECONDS=3600)  # no timer while the world is built
    with app.app_context():
        world = World.build(app)
        today = clock.local(clock.now()).date()
    world.client("admin").patch("/api/v1/unit-contacts/DEPT-A", json={"notify_phone": "13800000101"})
    overdue = world.article(status="published", owner_unit="DEPT-A")
    yesterday = (today - timedelta(days=1)).isoformat()
    world.client("kb_editor").patch(f"/api/v1/kb/articles/{overdue}", json={"review_by": yesterday})
    app.config["SWEEP_TIMER"] = True
    try:
        app.test_client().get("/healthz")  # starts the timer: a sweep, then the review-due flagging
        flagged, told = [], []
        for _ in range(200):
            with app.app_context():
                flagged = db.session.scalars(select(Flag.article_id).where(Flag.kind == "review_due")).all()
                told = db.session.execute(
                    select(Notification.recipient_label, Notification.status).where(
                        Notification.template_code == "unit_kb_review_due"
                    )
                ).all()
            # The message is written, then delivered (recorded) after its own commit: wait for both.
            if flagged and told and all(status not in ("pending", "sending") for _, status in told):
                break
            time.sleep(0.1)
    finally:
        timer.stop()
    assert flagged == [overdue]
    assert [tuple(t) for t in told] == [("DEPT-A", "recorded")]  # the owner unit, in the outbox


def test_a_failing_periodic_job_on_the_timer_is_recorded_for_admins(world, app, monkeypatch):
    from hotline.core import timer
    from hotline.core.wiring import periodic_jobs
    from knowledge_base import tasks

    def broken():
        raise RuntimeError("index on fire")

    monkeypatch.setattr(tasks, "flag_review_due", broken)
    review_due = next(p for p in periodic_jobs(app) if p.name == "kb-review-due")
    assert timer.run_periodic(app, review_due) is None
    items = world.client("admin").get("/api/v1/admin/jobs/failed").json["items"]
    assert [(i["path"], i["queue"], i["error"]) for i in items] == [
        ("knowledge_base.tasks.flag_review_due", "default", "RuntimeError: index on fire")
    ]


def test_the_timer_is_off_with_redis_with_interval_zero_and_in_tests(make_app):
    from hotline.core import timer

    assert not timer.enabled(make_app())
    assert not timer.enabled(make_app(SWEEP_TIMER=True, REDIS_URL="redis://127.0.0.1:6379/8"))
    assert not timer.enabled(make_app(SWEEP_TIMER=True, SWEEP_INTERVAL_SECONDS=0))
    assert timer.enabled(make_app(SWEEP_TIMER=True))


def test_a_failing_timer_sweep_is_recorded_for_admins(world, app, monkeypatch, caplog):
    from hotline.core import timer
    from hotline.core.wiring import periodic_jobs
    from hotline.sla import sweep as sweep_module

    def broken(now):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(sweep_module, "run_sweep", broken)
    sweep_job = next(p for p in periodic_jobs(app) if p.name == "sla-sweep")
    assert timer.run_periodic(app, sweep_job) is None
    assert "database on fire" in caplog.text
    with app.app_context():
        failure = db.session.scalar(select(FailedJob))
        assert failure.path == "hotline.sla.jobs.sweep" and "database on fire" in failure.error
    items = world.client("admin").get("/api/v1/admin/jobs/failed").json["items"]
    assert items[0]["source"] == "inline" and items[0]["error"] == "RuntimeError: database on fire"


def test_services_next_check_follows_the_records(world, app):
    number = world.ticket("dispatched")
    with app.app_context():
        deadline = services.open_clock(world.get(number).id, "reply")
        assert deadline.next_check_at == deadline.warn_at
        assert services.next_check(deadline, recorded={"warning"}) == deadline.due_at
        assert services.next_check(deadline, recorded={"warning", "overdue", "red"}) is None


def test_the_demo_city_shows_warnings_and_cards_without_redis(demo):
    app, first_output = demo  # seeded once per session (tests/conftest.py)
    assert "deadline policies added: 3" in first_output, first_output
    with app.app_context():
        result = run_sweep(FROZEN_NOW)
        counts = result.counts()
        assert counts["overdue"] >= 2 and counts["warning"] >= 2
        cards = db.session.scalars(select(TicketEvent).where(TicketEvent.action == "yellow_card")).all()
        assert len(cards) == counts["overdue"]
        # Supervision records a card for each, reply deadlines and the demo's late rectification notice alike.
        carded = db.session.scalars(select(Card.deadline_kind).where(Card.color == "yellow")).all()
        assert len(carded) == counts["overdue"] and {"reply", "rectification"} <= set(carded)
    again = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert "deadline policies added: 0" in again.output


def test_the_demo_articles_past_their_review_date_reach_their_units_without_redis(demo):
    from hotline.core import timer
    from hotline.core.wiring import periodic_jobs
    from hotline.notifications.models import Notification
    from knowledge_base.models import Article, Flag

    app, _ = demo  # seeded once per session (tests/conftest.py)
    review_due = next(p for p in periodic_jobs(app) if p.name == "kb-review-due")
    # What the embedded timer runs every hour; twice, as a restarted process would.
    assert timer.run_periodic(app, review_due) == 3
    assert timer.run_periodic(app, review_due) == 0
    with app.app_context():
        flagged = db.session.scalars(
            select(Article.external_id).join(Flag, Flag.article_id == Article.id).where(Flag.kind == "review_due")
        ).all()
        told = db.session.execute(
            select(Notification.recipient_label, Notification.channel, Notification.status)
            .where(Notification.template_code == "unit_kb_review_due")
            .order_by(Notification.recipient_label)
        ).all()
    # The demo's three articles past their review date (2026-06-30, 09-30, 10-31) are flagged;
    # the housing fund (HPF) and human resources (HRSS) offices have a mobile on record and
    # are told; the city government (CITY) has no contact, so its article has the flag only.
    assert sorted(flagged) == ["demo-071", "demo-072", "demo-073"]
    assert [tuple(t) for t in told] == [("HPF", "outbox", "recorded"), ("HRSS", "outbox", "recorded")]


def test_a_rectification_deadline_is_watched_by_the_same_sweep(world, app, reached):
    from hotline.sla.models import DeadlineKind

    number = world.ticket("replied", lead="DEPT-C")
    with app.app_context():
        ticket = world.get(number)
        deadline = services.open_deadline(
            ticket.id,
            request_type=ticket.request_type,
            urgency=ticket.urgency,
            unit_id=ticket.lead_unit_id,
            due_at=FROZEN_NOW + timedelta(days=2),
            now=FROZEN_NOW,
            source_type="rectification_notice",
            source_id=3,
        )
        db.session.commit()
        deadline_id = deadline.id
    assert sweep(app, FROZEN_NOW + timedelta(days=2, seconds=1)) == [
        (number, "rectification", "warning", "DEPT-C"),
        (number, "rectification", "overdue", "DEPT-C"),
    ]
    assert sweep(app, FROZEN_NOW + timedelta(days=4, seconds=1)) == [(number, "rectification", "red", "DEPT-C")]
    assert [(d, k) for d, k, *_ in reached] == [
        (deadline_id, "warning"),
        (deadline_id, "overdue"),
        (deadline_id, "red"),
    ]
    with app.app_context():
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.action == "yellow_card"))
        assert event.data["deadline"] == DeadlineKind.RECTIFICATION and event.data["deadline_label"] == "整改时限"


def test_only_the_process_holding_the_data_directory_lock_runs_the_timer(make_app):
    """Another process (here: a lock taken on the file as another process would) holds the
    timer lock: this timer does nothing; when the holder lets go, this one takes over."""
    import fcntl
    import threading

    from hotline.core import timer
    from tests.factories import World

    app = make_app(SWEEP_TIMER=True, SWEEP_INTERVAL_SECONDS=0.2)
    app.config["SWEEP_TIMER"] = False  # no timer while the world is built
    with app.app_context():
        world = World.build(app)
    world.ticket("dispatched")
    app.config["CLOCK"] = lambda: DUE + timedelta(seconds=1)
    other = open(os.path.join(app.config["DATA_DIR"], timer.LOCK_FILE), "a")  # noqa: SIM115
    fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    swept = threading.Event()

    def on_reached(deadline, **kw):
        swept.set()

    signals.deadline_reached.connect(on_reached)
    app.config["SWEEP_TIMER"] = True
    try:
        app.test_client().get("/healthz")  # starts this process's timer
        assert timer._threads.get(os.getpid()).is_alive()
        assert not swept.wait(1.5)  # five rounds: the lock is held elsewhere, nothing swept
        assert not timer.holds_lock(app)
        other.close()  # the holder ends: the lock is free
        assert swept.wait(20)
        assert timer.holds_lock(app)
    finally:
        other.close()
        signals.deadline_reached.disconnect(on_reached)
        timer.stop()
    with app.app_context():
        assert db.session.query(DeadlineRecord).count() == 2


def test_a_timer_that_cannot_open_its_lock_file_still_runs_the_jobs(make_app, tmp_path):
    from hotline.core import timer

    app = make_app()
    app.config["DATA_DIR"] = str(tmp_path / "missing")  # no such directory: the file cannot be opened
    try:
        assert timer.holds_lock(app)  # logged once; the database still keeps every job exactly once
        assert timer.holds_lock(app)
    finally:
        timer.stop()
    assert os.getpid() not in timer._held


@pytest.mark.postgresql
@pytest.mark.skipif(os.environ.get("HOTLINE_TEST_DB", "sqlite") != "postgresql", reason="PostgreSQL's advisory lock")
def test_hosts_sharing_postgresql_without_redis_run_the_timer_on_one_of_them(make_app, tmp_path):
    """Two hosts (their own data directories, so each holds its own file lock) on one
    PostgreSQL: only the holder of the database's advisory lock runs the periodic jobs; when
    its connection ends, the other takes over."""
    from hotline.core import timer

    host_a = make_app(DATA_DIR=str(tmp_path / "a"))
    host_b = make_app(DATA_DIR=str(tmp_path / "b"))
    try:
        assert timer.holds_database_lock(host_a) and timer.holds_database_lock(host_a)
        assert not timer.holds_database_lock(host_b)
        timer._db_held[id(host_a)].invalidate()  # host A's connection is lost
        deadline = time.monotonic() + 10  # (the server ends the session as it notices)
        while not timer.holds_database_lock(host_b):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert not timer.holds_database_lock(host_a)  # found out, and the lock is B's now
    finally:
        timer.stop()
    assert not timer._db_held
