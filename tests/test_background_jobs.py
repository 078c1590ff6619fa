"""The embedded mode's background thread (hotline.core.jobs, INLINE_JOBS_BACKGROUND, which
gunicorn's workers turn on): a request answers before its jobs run, they run in commit
order after it, and a failure is recorded as an inline one is."""

import threading

import pytest
from sqlalchemy import select

from hotline.core import jobs
from hotline.extensions import db
from hotline.notifications import jobs as notification_jobs
from hotline.ops.models import FailedJob
from hotline.routing import jobs as routing_jobs
from hotline.routing import services as routing

pytestmark = pytest.mark.any_database


@pytest.fixture
def background(app):
    app.config["INLINE_JOBS_BACKGROUND"] = True
    yield app
    assert jobs.wait_for_background(10)


def test_a_request_answers_before_its_jobs_run(world, background, monkeypatch):
    release, ran = threading.Event(), []

    def deliver(*notification_ids):  # the dispatch's messages, held until released
        release.wait(10)
        ran.append(notification_ids)

    number = world.ticket("pending_dispatch")
    assert jobs.wait_for_background(10)  # the citizen's confirmation
    monkeypatch.setattr(notification_jobs, "deliver", deliver)

    r = world.client("dispatcher").post(f"/api/v1/tickets/{number}/dispatch", json={"lead_unit": "DEPT-A"})

    assert r.status_code == 200, r.json
    assert ran == []  # answered while its job waits
    release.set()
    assert jobs.wait_for_background(10)
    assert len(ran) == 1


def test_a_failing_background_job_is_recorded_and_the_next_ones_run(app, background, monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("the model store is unreadable")

    monkeypatch.setattr(routing_jobs, "record_dispatches", broken)
    monkeypatch.setattr(routing_jobs, "retrain", lambda: ran.append("retrain"))
    jobs.submit_many(app, [jobs.JobSpec(routing.RECORD_JOB), jobs.JobSpec("hotline.routing.jobs.retrain")])
    assert jobs.wait_for_background(10)

    with background.app_context():
        paths = db.session.scalars(select(FailedJob.path)).all()
    assert paths == [routing.RECORD_JOB]
    assert ran == ["retrain"]


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
