"""The embedded mode's background thread (hotline.core.jobs, INLINE_JOBS_BACKGROUND, which
gunicorn's workers turn on): a request answers before its jobs run, they run in commit
order after it, and a failure is recorded as an inline one is."""

import threading

import pytest
from sqlalchemy import select

from hotline.core import jobs
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.ops.models import FailedJob
from hotline.routing import services as routing

pytestmark = pytest.mark.any_database


@pytest.fixture
def background(app):
    app.config["INLINE_JOBS_BACKGROUND"] = True
    yield app
    assert jobs.wait_for_background(10)


def test_a_request_answers_before_its_jobs_run(world, background, monkeypatch):
    release, ran = threading.Event(), []

    def record(event_id):  # the dispatch's suggestion record, held until released
        release.wait(10)
        ran.append(event_id)

    monkeypatch.setattr(routing, "record_dispatch_job", record)
    number = world.ticket("pending_dispatch")

    r = world.client("dispatcher").post(f"/api/v1/tickets/{number}/dispatch", json={"lead_unit": "DEPT-A"})

    assert r.status_code == 200, r.json
    assert ran == []  # answered while its job waits
    release.set()
    assert jobs.wait_for_background(10)
    assert len(ran) == 1


def test_a_failing_background_job_is_recorded_and_the_next_ones_run(world, background, monkeypatch):
    def broken(event_id):
        raise RuntimeError("the model store is unreadable")

    monkeypatch.setattr(routing, "record_dispatch_job", broken)
    number = world.ticket("pending_dispatch")
    r = world.client("dispatcher").post(f"/api/v1/tickets/{number}/dispatch", json={"lead_unit": "DEPT-A"})
    assert r.status_code == 200, r.json
    assert jobs.wait_for_background(10)

    with background.app_context():
        paths = db.session.scalars(select(FailedJob.path)).all()
        delivered = db.session.scalars(
            select(Notification.status).where(Notification.template_code == "unit_ticket_dispatched")
        ).all()
    assert paths == [routing.RECORD_JOB]
    assert delivered == ["recorded"]  # the dispatch's other job ran (no channel configured: recorded)
    items = world.client("admin").get("/api/v1/admin/jobs/failed").json["items"]
    assert [i["source"] for i in items] == ["inline"] and "the model store is unreadable" in items[0]["error"]


def test_gunicorns_workers_run_jobs_in_the_background():
    import importlib.util
    from pathlib import Path
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("gunicorn_conf", Path(__file__).parent.parent / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    app = SimpleNamespace(config={"KB_WARM_UP": False})

    conf.post_worker_init(SimpleNamespace(wsgi=app))

    assert app.config["INLINE_JOBS_BACKGROUND"] is True
