"""Several hosts on one database and one Redis (issue 24, "Several hosts").

Two instances of the app, each with a data directory of its own (its own knowledge-base
index, its own timer lock file), share nothing but the database (the test's PostgreSQL
database, or on SQLite the same file) and Redis. Both are in this process: what they share
is what they reach through those two, since each app keeps its index, Redis client and
engine in its own ``app.extensions``.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from hotline.sla.models import DeadlineRecord
from hotline.sla.sweep import run_sweep
from hotline.tickets.models import TicketEvent

from .conftest import FROZEN_NOW, world_on

pytestmark = pytest.mark.redis

TITLE = "公积金账户封存后怎么提取"
BODY = "离职后公积金账户封存满六个月，可以凭身份证到管理中心申请提取。"


def _search(client, q, **params):
    r = client.get("/api/v1/kb/search", query_string={"q": q, **params})
    assert r.status_code == 200, r.json
    return [hit["title"] for hit in r.json["results"]]


def _within(seconds, check):
    """Seconds until ``check()`` is true (polled); fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "not within the time allowed"
        time.sleep(0.1)
    return time.monotonic() - started


def test_two_hosts_share_only_the_database_and_redis(make_app, database, redis_url, tmp_path):
    settings = {"REDIS_URL": redis_url, "KB_INDEX_SYNC_SECONDS": 1.0}
    host_a = make_app(template="world", DATA_DIR=str(tmp_path / "host-a"), **settings)
    host_b = make_app(DATA_DIR=str(tmp_path / "host-b"), **settings)
    a, b = world_on(host_a, database), world_on(host_b, database)
    assert host_a.config["DATABASE_URL"] == host_b.config["DATABASE_URL"]

    # An article published through host A (no worker runs: each host's index is its own)
    # is found through host B within seconds; B's index was missing and is built on B.
    editor, admin = a.client("kb_editor"), a.client("admin")
    r = editor.post("/api/v1/kb/articles", json={"title": TITLE, "body": BODY})
    assert r.status_code == 201, r.json
    article_id = r.json["id"]
    assert editor.post(f"/api/v1/kb/articles/{article_id}/submit").status_code == 200
    assert admin.post(f"/api/v1/kb/articles/{article_id}/publish").status_code == 200
    on_b, on_a = b.client("operator"), a.client("operator")
    assert _within(10, lambda: _search(on_b, "公积金封存") == [TITLE]) < 10
    assert _within(10, lambda: _search(on_a, "公积金封存") == [TITLE]) < 10
    assert (tmp_path / "host-a" / "kb_index" / "CURRENT").exists()
    assert (tmp_path / "host-b" / "kb_index" / "CURRENT").exists()

    # An edit through B reaches A's index; retired through B, it is gone from both at once
    # (every hit is re-read from the database) and A's index itself has it as retired within
    # seconds (an editor's search by status).
    r = b.client("kb_editor").patch(f"/api/v1/kb/articles/{article_id}", json={"body": "缴存记录可以异地互认。"})
    assert r.status_code == 200, r.json
    _within(10, lambda: _search(on_a, "异地互认") == [TITLE])
    assert b.client("kb_editor").post(f"/api/v1/kb/articles/{article_id}/retire").status_code == 200
    assert _search(on_a, "异地互认") == [] and _search(on_b, "异地互认") == []
    _within(10, lambda: _search(a.client("kb_editor"), "异地互认", status="retired") == [TITLE])

    # A client that failed to sign in five times through A waits on B too (one address,
    # one username: the counters are in Redis).
    for _ in range(5):
        r = host_a.test_client().post("/api/v1/auth/token", json={"username": "operator", "password": "wrong"})
        assert r.status_code == 401
    r = host_b.test_client().post("/api/v1/auth/token", json={"username": "operator", "password": "wrong"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    r = host_a.test_client().post("/api/v1/auth/token", json={"username": "operator", "password": "wrong"})
    assert r.status_code == 429

    # The same sweep on both hosts at once records each point of a deadline once.
    number = a.ticket("accepted", lead="DEPT-B")
    late = FROZEN_NOW + timedelta(days=3)
    recorded, errors = {}, []

    def sweep(name, app):
        try:
            with app.app_context():
                recorded[name] = [r.kind for r in run_sweep(late).recorded]
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=item) for item in (("a", host_a), ("b", host_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(recorded["a"] + recorded["b"]) == ["overdue", "red", "warning"]
    with host_b.app_context():
        ticket = b.get(number)
        kinds = db.session.scalars(select(DeadlineRecord.kind).order_by(DeadlineRecord.id)).all()
        assert sorted(kinds) == ["overdue", "red", "warning"]
        events = db.session.execute(
            select(TicketEvent.action, func.count())
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.actor_id.is_(None))
            .group_by(TicketEvent.action)
        ).all()
        assert all(count == 1 for _, count in events) and len(events) == 4, events

    # Periodic jobs: both hosts' schedulers enqueue each job of a period once between them.
    from hotline.core.redis import get_redis
    from hotline.core.wiring import periodic_jobs
    from workers.schedule import tick

    now = FROZEN_NOW + timedelta(days=3)
    first = tick(get_redis(host_a), periodic_jobs(host_a), now)
    second = tick(get_redis(host_b), periodic_jobs(host_b), now)
    assert len(first) == len(periodic_jobs(host_a)) and second == []
