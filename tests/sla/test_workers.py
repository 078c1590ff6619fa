"""Workers and the scheduler on real Redis: periodic jobs registered once, one index worker,
failed jobs visible to admins."""

import os
from datetime import UTC, datetime, timedelta

import click
import pytest
import redis as redis_lib
from rq import Queue, Worker
from rq.job import Job

from hotline.core.wiring import periodic_jobs
from hotline.sla.jobs import SWEEP
from workers import schedule
from workers.queues import make_worker
from workers.run import check_single_worker_queues

pytestmark = pytest.mark.redis

T = datetime(2026, 11, 21, 2, 0, 30, tzinfo=UTC)


def test_the_periodic_sweep_is_enqueued_once_per_minute_however_often_the_scheduler_restarts(make_app, redis_url):
    periodic = periodic_jobs(make_app())  # every domain's periodic jobs, in the order of the domains
    connection = redis_lib.Redis.from_url(redis_url)
    queue = Queue("escalation", connection=connection)
    first = schedule.tick(connection, periodic, T)
    assert first == [schedule.job_id(p, T) for p in periodic]
    assert [j.rsplit("-", 1)[0] for j in first] == [
        "periodic-sla-sweep",
        "periodic-dispatch-suggestions-train",
        "periodic-dispatch-suggestions-record",
        "periodic-kb-review-due",
        "periodic-kb-embed-missing",
        "periodic-notifications-requeue",
        "periodic-esup-requeue",
        "periodic-topics-terms-backfill",
        "periodic-topics-spikes",
        "periodic-topics-snapshots",
        "periodic-figure-rollups",
        "periodic-bulletin-corrections",
        "periodic-rate-limit-prune",
    ]
    # Restarts (and a second scheduler) in the same minute enqueue nothing more.
    assert schedule.tick(connection, periodic, T + timedelta(seconds=20)) == []
    assert schedule.tick(connection, periodic, T) == []
    assert Job.fetch(first[0], connection=connection).func_name == SWEEP
    assert queue.count == 2  # the sweep and the requeue of lost e-supervision deliveries
    # The hourly dispatch suggestions' training and review-due check, the record of what they
    # said at each dispatch, the terms backfill, the spike run, the topics' snapshots, the
    # figures' rollups, the daily bulletin check and the pruning of rate-limit windows.
    assert Queue("default", connection=connection).count == 9
    assert Queue("notifications", connection=connection).count == 1  # the requeue of lost messages
    assert Queue("kb_vectors", connection=connection).count == 1  # the hourly check for missing vectors
    # The next minute gets its own sweep and record of dispatches; the others wait for their
    # next bucket.
    assert schedule.tick(connection, periodic, T + timedelta(minutes=1)) == [
        schedule.job_id(periodic[0], T + timedelta(minutes=1)),
        schedule.job_id(periodic[2], T + timedelta(minutes=1)),
    ]
    assert queue.count == 3
    ten = T + timedelta(minutes=10)  # a new sweep and new requeues; the hourly and daily jobs wait
    assert schedule.tick(connection, periodic, ten) == [schedule.job_id(p, ten) for p in periodic if p.every <= 600]


def test_a_second_scheduler_stays_idle_while_the_first_holds_the_lock(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    connection = redis_lib.Redis.from_url(redis_url)
    connection.set(schedule.LOCK_KEY, "someone-else", px=60000)
    schedule.run_scheduler(app, once=True)
    assert Queue("escalation", connection=connection).count == 0
    connection.delete(schedule.LOCK_KEY)
    schedule.run_scheduler(app, once=True)
    assert Queue("escalation", connection=connection).count == 2  # the sweep and the esup requeue
    assert connection.get(schedule.LOCK_KEY) is None  # released on exit


def test_the_scheduler_and_worker_commands_need_redis(make_app):
    app = make_app()
    r = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert r.exit_code != 0 and "HOTLINE_REDIS_URL" in r.output
    r = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert r.exit_code != 0 and "HOTLINE_REDIS_URL" in r.output


def test_only_one_worker_may_serve_the_search_index_queue(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    connection = redis_lib.Redis.from_url(redis_url)
    check_single_worker_queues(app, ["search_index"])  # nobody yet
    first = Worker([Queue("search_index", connection=connection)], connection=connection, name="index-1")
    first.register_birth()
    try:
        with pytest.raises(click.ClickException, match="index-1"):
            check_single_worker_queues(app, ["search_index"])
        with pytest.raises(click.ClickException):
            check_single_worker_queues(app, [])  # all queues include search_index
        check_single_worker_queues(app, ["default", "escalation"])  # other queues are fine
    finally:
        first.register_death()
    check_single_worker_queues(app, ["search_index"])


def test_a_worker_on_the_default_queue_loads_the_ticket_terms_analyser_before_forking(make_app, redis_url, monkeypatch):
    """Each intake queues its ticket's terms on `default`; rq forks a work-horse per job, and
    a horse that loaded jieba and its IDF table itself spent over a second on each ticket
    (bench/load.py). The worker loads them once, before it forks."""
    from hotline.reports import topics_lexicon
    from knowledge_base.search import analyzer

    monkeypatch.setattr(topics_lexicon, "_idf", None)
    monkeypatch.setattr(analyzer, "_jieba_cut", None)
    app = make_app(REDIS_URL=redis_url)
    make_worker(app, ["escalation"])
    assert topics_lexicon._idf is None  # only a worker that runs the terms job loads them
    make_worker(app, ["default", "escalation"])
    assert topics_lexicon._idf is not None
    assert analyzer._jieba_cut is not None and analyzer._jieba_pid == os.getpid()


def test_a_failed_rq_job_is_listed_for_admins(make_app, redis_url):
    from tests.factories import World

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        world = World.build(app)
    connection = redis_lib.Redis.from_url(redis_url)
    Queue("escalation", connection=connection).enqueue(SWEEP, "not-a-time", job_id="broken-sweep")
    make_worker(app, ["escalation"], simple=True).work(burst=True)
    items = world.client("admin").get("/api/v1/admin/jobs/failed").json["items"]
    assert [(i["source"], i["id"], i["path"], i["args"]) for i in items] == [
        ("rq", "broken-sweep", SWEEP, ["not-a-time"])
    ]
    assert "ValueError" in items[0]["error"] and items[0]["failed_at"]
