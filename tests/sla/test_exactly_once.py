"""Exactly once, whatever runs at the same time or dies halfway: the database decides.

- 400 tickets, 200 of them overdue (4 or 5 batches per sweep), three sweeps at once (threads on both databases;
  separate processes on PostgreSQL);
- the same rq job delivered twice;
- a real `flask worker` process killed with SIGKILL in the middle of a sweep, on real Redis.
"""

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.core import clock, signals
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.sla.jobs import SWEEP
from hotline.sla.models import DeadlineRecord
from hotline.sla.sweep import run_sweep
from hotline.supervision.models import Card
from hotline.tickets.models import TicketEvent

from ..conftest import FROZEN_NOW, TEST_DB
from .helpers import ROOT, bulk_dispatched, counts, flask_command, subprocess_env

LONG_AGO = FROZEN_NOW - timedelta(hours=30)  # overdue at FROZEN_NOW (22 h), not yet red (44 h)
JUST_NOW = FROZEN_NOW - timedelta(hours=1)  # not even at the warning point


@pytest.fixture
def thousand(world):  # 400 since CI's 12 minutes; the races are the same
    due = bulk_dispatched(world, 200, dispatched_at=LONG_AGO, prefix="DUE")
    bulk_dispatched(world, 200, dispatched_at=JUST_NOW, prefix="NOT")
    return due


def _per_ticket(app, action):
    with app.app_context():
        rows = db.session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.action == action)
            .group_by(TicketEvent.ticket_id)
        ).all()
        db.session.remove()
        return dict(rows)


def _assert_exactly_once(app, due_ids, *, kinds=("warning", "overdue")):
    for kind in kinds:
        records, distinct, events = counts(app, kind)
        assert (records, distinct, events) == (len(due_ids), len(due_ids), len(due_ids)), kind
    for action in ("deadline_overdue", "yellow_card"):
        per_ticket = _per_ticket(app, action)
        assert set(per_ticket) == set(due_ids) and set(per_ticket.values()) == {1}, action
    assert counts(app, "red") == (0, 0, 0)
    _assert_escalated_once(app, due_ids, warned="warning" in kinds)


def _assert_escalated_once(app, due_ids, *, warned):
    """What the watch's signal caused: one yellow card against the unit and one message per
    recipient for each overdue ticket, and nothing for the tickets that are not due."""
    with app.app_context():
        cards = Counter(db.session.scalars(select(Card.ticket_id).where(Card.color == "yellow")))
        red_cards = db.session.scalar(select(func.count()).select_from(Card).where(Card.color == "red"))
        supervisors = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "supervisor", User.is_active.is_(True))
        )
        sent = Counter(
            db.session.execute(
                select(Notification.template_code, Notification.ticket_id).where(
                    Notification.template_code.in_(
                        ["unit_overdue", "supervisor_overdue", "unit_deadline_warning", "head_red_card"]
                    )
                )
            ).all()
        )
        db.session.remove()
    assert set(cards) == set(due_ids) and set(cards.values()) == {1}
    assert red_cards == 0
    per_template = Counter(template for template, _ in sent.elements())
    assert per_template["unit_overdue"] == len(due_ids)
    assert per_template["supervisor_overdue"] == len(due_ids) * supervisors
    assert per_template["unit_deadline_warning"] == (len(due_ids) if warned else 0)
    assert per_template["head_red_card"] == 0
    assert {ticket for _, ticket in sent} == set(due_ids)
    assert {n for (template, ticket), n in sent.items() if template != "supervisor_overdue"} <= {1}


def test_three_sweeps_at_once_record_each_of_200_overdue_tickets_exactly_once(app, thousand):
    seen = Counter()
    lock = threading.Lock()

    def receiver(deadline, **kw):
        with lock:
            seen[(kw["kind"], kw["ticket"].id)] += 1

    barrier = threading.Barrier(3)
    errors = []

    def sweeper():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                run_sweep(FROZEN_NOW, batch_size=50)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    signals.deadline_reached.connect(receiver)
    try:
        threads = [threading.Thread(target=sweeper) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        signals.deadline_reached.disconnect(receiver)
    assert not errors, errors
    overdue = {ticket for (kind, ticket) in seen if kind == "overdue"}
    assert overdue == set(thousand) and len(overdue) == 200
    assert set(seen.values()) == {1}  # no signal twice
    assert Counter(kind for kind, _ in seen) == {"warning": 200, "overdue": 200}
    _assert_exactly_once(app, thousand)


@pytest.mark.postgresql
@pytest.mark.skipif(TEST_DB != "postgresql", reason="separate sweep processes race on row locks: PostgreSQL only")
def test_three_sweep_processes_at_once_record_each_overdue_ticket_exactly_once(app, thousand):
    env = subprocess_env(app, HOTLINE_SWEEP_BATCH_SIZE=40)
    now = clock.isoformat(FROZEN_NOW)
    procs = [
        subprocess.Popen(
            flask_command("sla", "sweep", "--now", now),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    printed = sum(out.count("\toverdue\t") for out, _ in outputs)
    assert printed == 200  # the three together printed each overdue ticket once
    _assert_exactly_once(app, thousand)


def _redis(url):
    import redis

    return redis.Redis.from_url(url)


@pytest.mark.redis
def test_the_same_job_delivered_twice_records_once(make_app, redis_url):
    from rq import Queue
    from rq.job import Job

    from tests.factories import World
    from workers.queues import make_worker

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        world = World.build(app)
    due = bulk_dispatched(world, 20, dispatched_at=LONG_AGO, prefix="DUE")
    connection = _redis(redis_url)
    queue = Queue("escalation", connection=connection)
    job = queue.enqueue(SWEEP, clock.isoformat(FROZEN_NOW), job_id="sweep-twice")
    worker = make_worker(app, ["escalation"], simple=True)
    worker.work(burst=True)
    assert Job.fetch("sweep-twice", connection=connection).get_status() == "finished"
    assert job.latest_result().return_value["overdue"] == 20
    # rq is at-least-once: the same job again (a re-delivery after a lost acknowledgement).
    queue.enqueue_job(Job.fetch("sweep-twice", connection=connection))
    worker.work(burst=True)
    again = Job.fetch("sweep-twice", connection=connection)
    assert again.get_status() == "finished" and again.latest_result().return_value["overdue"] == 0
    _assert_exactly_once(app, due)


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.redis
def test_a_worker_killed_mid_sweep_escalates_every_overdue_ticket_exactly_once(make_app, redis_url, tmp_path):
    from rq import Queue

    from tests.factories import World

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        world = World.build(app)
    due = bulk_dispatched(world, 120, dispatched_at=LONG_AGO, prefix="DUE")
    bulk_dispatched(world, 30, dispatched_at=JUST_NOW, prefix="NOT")
    queue = Queue("escalation", connection=_redis(redis_url))
    as_of = clock.isoformat(FROZEN_NOW)
    # A slow sweep (test-only settings): batches of 6 deadlines, 0.15 s apart.
    env = subprocess_env(
        app, HOTLINE_REDIS_URL=redis_url, HOTLINE_SWEEP_BATCH_SIZE=6, HOTLINE_SWEEP_BATCH_PAUSE_SECONDS=0.15
    )
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    queue.enqueue(SWEEP, as_of, job_id="sweep-killed", job_timeout=600)
    worker = subprocess.Popen(
        flask_command("worker", "escalation", "--name", "doomed"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the work-horse dies with it
    )
    try:
        # Generous: the worker starts a Flask app and preloads jieba, slow on a loaded machine
        # (60 s were once not enough at load average 9 on 2 cores); a quick start waits no longer.
        _wait_for(lambda: counts(app, "overdue")[0] >= 18, 180, "the sweep to commit a few batches")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        log.close()
    recorded_before = counts(app, "overdue")[0]
    assert 18 <= recorded_before < 120, "the worker was not killed in the middle of the sweep"
    # Every batch it committed is whole: each overdue record has its events.
    records, distinct, events = counts(app, "overdue")
    assert records == distinct == events

    # Recovery: a new worker, and the next sweep.
    queue.enqueue(SWEEP, as_of, job_id="sweep-after", job_timeout=600)
    env.update(HOTLINE_SWEEP_BATCH_PAUSE_SECONDS="0", HOTLINE_SWEEP_BATCH_SIZE="500")
    done = subprocess.run(
        flask_command("worker", "escalation", "--burst", "--name", "recovery"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_exactly_once(app, due)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeadlineRecord)) == 240  # warning + overdue each
