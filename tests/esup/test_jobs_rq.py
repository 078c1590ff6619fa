"""Delivery jobs on real Redis with rq workers: retries with backoff, failures, duplicates.

The retry intervals are zero here (rq re-enqueues at once), except where the backoff
itself is shown: then the job waits in rq's scheduled registry until the worker's
scheduler moves it back.
"""

import json
import time

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from hotline.core import jobs
from hotline.core.redis import get_redis
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.supervision.connector import SIGNATURE_HEADER, verify
from hotline.supervision.models import EsupDelivery

pytestmark = pytest.mark.redis


def _row(app, model, **where):
    with app.app_context():
        row = db.session.scalar(select(model).filter_by(**where).order_by(model.id))
        db.session.expunge_all()
        return row


def test_an_sms_job_is_retried_by_rq_until_the_gateway_takes_it(redis_world, gateway, run_worker):
    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(0, 0, 0))
    gateway.script = [500, 503]
    redis_world.ticket("pending_dispatch", request_type="consultation", phone="13912345678")
    n = _row(app, Notification, template_code="citizen_confirmation")
    assert n.status == "pending" and n.attempts == 0  # queued in Redis, not run inline
    queue = Queue("notifications", connection=get_redis(app))
    assert queue.job_ids == [f"notification-{n.id}"]
    job = queue.fetch_job(f"notification-{n.id}")
    assert job.args == (n.id,)  # the id only: no phone, no text in Redis

    run_worker(app, ["notifications"])
    n = _row(app, Notification, id=n.id)
    assert (n.status, n.attempts, n.last_error) == ("sent", 3, None)
    assert len(gateway.requests) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in gateway.requests}) == 1
    assert json.loads(gateway.requests[-1]["body"])["to"] == "13912345678"


def test_after_the_last_retry_the_message_is_failed_and_rq_records_the_failure(redis_world, gateway, run_worker):
    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(0, 0))
    gateway.script = [500, 500, 500, 500]
    redis_world.ticket("pending_dispatch", request_type="consultation")
    run_worker(app, ["notifications"])
    n = _row(app, Notification, template_code="citizen_confirmation")
    assert (n.status, n.attempts) == ("failed", 3) and len(gateway.requests) == 3
    failed = FailedJobRegistry("notifications", connection=get_redis(app))
    assert failed.get_job_ids() == [f"notification-{n.id}"]

    # An admin's retry queues a new job, which the next worker run delivers.
    r = redis_world.client("admin").post(f"/api/v1/notifications/{n.id}/retry")
    assert r.status_code == 200 and r.json["status"] == "pending"
    run_worker(app, ["notifications"])
    assert _row(app, Notification, id=n.id).status == "sent"


def test_a_retry_waits_for_its_backoff_in_the_scheduler(redis_world, gateway, run_worker):
    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(1,))
    gateway.script = [500]
    redis_world.ticket("pending_dispatch", request_type="consultation")
    run_worker(app, ["notifications"])
    n = _row(app, Notification, template_code="citizen_confirmation")
    assert (n.status, n.attempts) == ("pending", 1) and n.last_error.startswith("HTTP 500")
    scheduled = ScheduledJobRegistry("notifications", connection=get_redis(app))
    assert scheduled.get_job_ids() == [f"notification-{n.id}"]
    run_worker(app, ["notifications"])  # not due yet: nothing happens
    assert len(gateway.requests) == 1
    time.sleep(1.2)
    run_worker(app, ["notifications"], with_scheduler=True)
    assert _row(app, Notification, id=n.id).status == "sent" and len(gateway.requests) == 2


def test_a_job_delivered_twice_by_rq_sends_once(redis_world, gateway, run_worker):
    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(0,))
    redis_world.ticket("pending_dispatch", request_type="consultation")
    n = _row(app, Notification, template_code="citizen_confirmation")
    # rq is at least once: the same job again, under another id.
    jobs.submit(app, jobs.JobSpec("hotline.notifications.jobs.deliver", (n.id,), "notifications", job_id="dup"))
    run_worker(app, ["notifications"])
    assert len(gateway.requests) == 1
    assert _row(app, Notification, id=n.id).attempts == 1
    assert Queue("notifications", connection=get_redis(app)).fetch_job("dup").return_value() == "skipped"


# --- the connector on the escalation queue ---------------------------------------------


def _esup(app, esup, secret, intervals=(0, 0, 0)):
    app.config.update(ESUP_URL=esup.url, ESUP_SECRET=secret, ESUP_RETRY_INTERVALS=intervals)


def test_the_receiver_gets_each_case_once_signed_despite_retries(redis_world, esup, esup_secret, run_worker):
    app = redis_world.app
    _esup(app, esup, esup_secret)
    # Twice a 500; then a "lost answer" (stored by the receiver, 500 to us); then fine.
    esup.script = [500, 500, "accept-then-500"]
    number = redis_world.ticket("new", request_type="complaint")
    d = _row(app, EsupDelivery, event="case.opened")
    assert d.status == "pending"
    queue = Queue("escalation", connection=get_redis(app))
    assert queue.job_ids == [f"esup-delivery-{d.id}"] and queue.fetch_job(queue.job_ids[0]).args == (d.id,)
    # And the same job delivered a second time by rq.
    jobs.submit(app, jobs.JobSpec("hotline.supervision.jobs.deliver", (d.id,), "escalation", job_id="dup"))

    run_worker(app, ["escalation"])
    d = _row(app, EsupDelivery, id=d.id)
    assert (d.status, d.attempts) == ("delivered", 4)
    assert len(esup.requests) == 4
    for request in esup.requests:
        assert verify(request["body"], esup_secret, request["headers"][SIGNATURE_HEADER])
        assert request["body"].decode() == d.body  # the same bytes every time
    assert list(esup.accepted) == [f"case-{d.case_id}-opened"]
    payload = json.loads(esup.accepted[f"case-{d.case_id}-opened"])
    assert payload["event"] == "case.opened" and payload["ticket"]["number"] == number


def test_a_delivery_failing_every_retry_becomes_a_dead_letter_and_is_replayed(
    redis_world, esup, esup_secret, run_worker
):
    app = redis_world.app
    _esup(app, esup, esup_secret, intervals=(0, 0))
    esup.script = [503, 503, 503]
    redis_world.ticket("new", request_type="complaint")
    run_worker(app, ["escalation"])
    d = _row(app, EsupDelivery, event="case.opened")
    assert (d.status, d.attempts) == ("dead", 3) and d.last_error.startswith("HTTP 503")
    assert FailedJobRegistry("escalation", connection=get_redis(app)).get_job_ids() == [f"esup-delivery-{d.id}"]
    admin = redis_world.client("admin")
    dead = admin.get("/api/v1/supervision/deliveries?status=dead").json
    assert [(i["id"], i["status"], i["attempts"]) for i in dead["items"]] == [(d.id, "dead", 3)]

    r = admin.post(f"/api/v1/supervision/deliveries/{d.id}/replay")
    assert r.status_code == 200 and r.json["status"] == "pending" and r.json["replays"] == 1
    run_worker(app, ["escalation"])
    d = _row(app, EsupDelivery, id=d.id)
    assert (d.status, d.replays) == ("delivered", 1)
    assert list(esup.accepted) == [d.idempotency_key]
    assert admin.get("/api/v1/supervision/deliveries?status=dead").json["total"] == 0


def test_messages_and_deliveries_whose_job_was_lost_are_requeued(redis_world, gateway, esup, esup_secret, run_worker):
    from datetime import timedelta

    from hotline.core import clock

    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(30,))
    _esup(app, esup, esup_secret, intervals=(600,))
    redis_world.ticket("pending_dispatch", request_type="complaint")
    get_redis(app).flushdb()  # the jobs are lost (say, Redis restarted without persistence)
    runner = app.test_cli_runner()
    # Not yet: a pending row may be waiting for its backoff.
    assert "requeued 0 message(s)" in runner.invoke(args=["notifications", "requeue"]).output
    with app.app_context():
        later = clock.now() + timedelta(seconds=30 + 300 + 120)  # submitted at now + 1 min
    app.config["CLOCK"] = lambda: later
    assert "requeued 1 message(s)" in runner.invoke(args=["notifications", "requeue"]).output
    assert "requeued 0 deliveries" in runner.invoke(args=["esup", "requeue"]).output
    assert "requeued 1 delivery" in runner.invoke(args=["esup", "requeue", "--older-than", "0"]).output
    run_worker(app, ["notifications", "escalation"])
    assert _row(app, Notification, template_code="citizen_confirmation").status == "sent"
    assert _row(app, EsupDelivery, event="case.opened").status == "delivered"
    assert len(gateway.requests) == 1 and len(esup.accepted) == 1


def test_the_scheduler_requeues_lost_messages_by_itself(redis_world, gateway, run_worker):
    from datetime import timedelta

    from hotline.core import clock
    from hotline.core.wiring import periodic_jobs
    from workers import schedule

    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(30,))
    redis_world.ticket("pending_dispatch", request_type="consultation")
    redis = get_redis(app)
    redis.flushdb()  # the job is lost
    with app.app_context():
        later = clock.now() + timedelta(hours=1)
    app.config["CLOCK"] = lambda: later
    assert "periodic-notifications-requeue" in " ".join(schedule.tick(redis, periodic_jobs(app), later))
    run_worker(app, ["notifications"])  # the requeue job queues the message again, then it is sent
    run_worker(app, ["notifications"])
    assert _row(app, Notification, template_code="citizen_confirmation").status == "sent"
    assert len(gateway.requests) == 1


def test_the_messages_of_one_dispatch_share_a_job_and_each_is_retried_on_its_own(redis_world, gateway, run_worker):
    app = redis_world.app
    app.config.update(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_INTERVALS=(0, 0))
    admin = redis_world.client("admin")
    for code, phone in (("DEPT-A", "13800000001"), ("DEPT-B", "13800000002")):
        assert admin.patch(f"/api/v1/unit-contacts/{code}", json={"notify_phone": phone}).status_code == 200
    # The citizen's confirmation (its own job, queued first) and the lead unit's message go
    # through; the assisting unit's fails once.
    gateway.script = [200, 200, 500]

    redis_world.ticket("dispatched", lead="DEPT-A", assists=("DEPT-B",), request_type="consultation")

    with app.app_context():
        dispatched = Notification.template_code == "unit_ticket_dispatched"
        ids = list(db.session.scalars(select(Notification.id).where(dispatched).order_by(Notification.id)))
    assert len(ids) == 2
    queue = Queue("notifications", connection=get_redis(app))
    job_id = f"notifications-{ids[0]}-{ids[1]}"
    assert len(queue.job_ids) == 2 and queue.job_ids[1] == job_id  # one job for the dispatch's two messages
    assert queue.fetch_job(job_id).args == tuple(ids)
    run_worker(app, ["notifications"])
    lead, assist = (_row(app, Notification, id=i) for i in ids)
    assert (lead.status, lead.attempts) == ("sent", 1)  # not sent again when the job was retried
    assert (assist.status, assist.attempts) == ("sent", 2)
    to = [json.loads(r["body"])["to"] for r in gateway.requests]
    assert to[1:] == ["13800000001", "13800000002", "13800000002"]
