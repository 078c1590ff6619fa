"""Articles past their review-by date: a flag for editors and one message to the owner unit
per review-by date, however often, however late and however many copies of the job run."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.core import clock, jobs, signals
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.units.models import Unit
from knowledge_base import services as kb
from knowledge_base.models import Flag

from ..conftest import FROZEN_NOW

JOB = "knowledge_base.tasks.flag_review_due"
TODAY = clock.local(FROZEN_NOW).date()  # 2026-11-21 in Shanghai (10:00 there)
DAY = timedelta(days=1)


def _run(app) -> int:
    """One run of the hourly job as the embedded timer and rq run it: its own app context
    and transaction, committed, then the message's delivery (inline without Redis)."""
    return jobs.run_inline(app, jobs.JobSpec(JOB))


def _contact(world, unit: str, **contacts) -> None:
    r = world.client("admin").patch(f"/api/v1/unit-contacts/{unit}", json=contacts)
    assert r.status_code == 200, r.json


def _articles(app, review_by, owners) -> list[int]:
    """Published articles with this review-by date, one per owner (None: no owner unit),
    written in one transaction."""
    with app.app_context():
        now = clock.now()
        created = []
        for i, owner in enumerate(owners):
            article = kb.create_article(
                actor=None,
                now=now,
                title=f"居住证办理指南{i + 1}",
                body="在本市居住满半年并有稳定就业或住所的，可以申领居住证。",
                owner_unit=owner,
                effective_on=review_by - 400 * DAY,
                review_by=review_by,
            )
            kb.submit(article, actor=None, now=now)
            kb.publish(article, actor=None, now=now)
            created.append(article)
        db.session.commit()
        return [a.id for a in created]


def _set_review_by(world, article_id, day) -> None:
    r = world.client("kb_editor").patch(f"/api/v1/kb/articles/{article_id}", json={"review_by": day.isoformat()})
    assert r.status_code == 200, r.json


def _messages(app):
    """The review-due messages, oldest first: (idempotency key, recipient, channel, status)."""
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.template_code == "unit_kb_review_due").order_by(Notification.id)
        )
        return [(n.idempotency_key, n.recipient_label, n.channel, n.status) for n in rows]


def _flags(app):
    with app.app_context():
        rows = db.session.execute(
            select(Flag.article_id, Flag.status).where(Flag.kind == "review_due").order_by(Flag.id)
        ).all()
        return [tuple(r) for r in rows]


def _key(app, article_id, day, unit: str) -> str:
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit))
    return f"kb-article:{article_id}:review-due:{day.isoformat()}:unit:{unit_id}"


@pytest.fixture
def reachable(world):
    """The world, with a mobile for DEPT-A's and DEPT-C's messages (DEPT-B has none)."""
    _contact(world, "DEPT-A", notify_phone="13800000101")
    _contact(world, "DEPT-C", notify_phone="13800000103")
    return world


def test_the_owner_unit_is_told_once_however_often_the_job_runs(reachable, app):
    past = TODAY - 3 * DAY
    (overdue,) = _articles(app, past, ["DEPT-A"])
    _articles(app, TODAY + 30 * DAY, ["DEPT-A"])  # not due
    assert _run(app) == 1
    assert _run(app) == 0
    assert _run(app) == 0
    # Recorded in the outbox (no SMS gateway here), to the unit's mobile.
    assert _messages(app) == [(_key(app, overdue, past, "DEPT-A"), "DEPT-A", "outbox", "recorded")]
    with app.app_context():
        n = db.session.scalar(select(Notification).where(Notification.template_code == "unit_kb_review_due"))
        assert (n.recipient_type, n.address, n.ticket_id, n.attempts) == ("unit", "13800000101", None, 1)
        assert n.body == (
            f"【12345热线·知识库】市人力资源和社会保障局：贵单位负责的知识条目《居住证办理指南1》（编号{overdue}）"
            "已过复审期限（2026-11-18），请核对内容是否仍然准确，并将修改意见告知知识库编辑。"
        )
    assert _flags(app) == [(overdue, "open")]


def test_nothing_on_the_review_by_date_itself_and_a_message_the_day_after(reachable, app):
    (article,) = _articles(app, TODAY, ["DEPT-A"])
    editor = reachable.client("kb_editor")
    app.config["CLOCK"] = lambda: datetime(2026, 11, 21, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    assert _run(app) == 0
    assert (_messages(app), _flags(app)) == ([], [])
    assert editor.get("/api/v1/kb/review-due").json["items"] == []
    # Midnight in Shanghai: the centre's date has moved on (UTC's has not).
    app.config["CLOCK"] = lambda: datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert _run(app) == 1
    assert _messages(app) == [(_key(app, article, TODAY, "DEPT-A"), "DEPT-A", "outbox", "recorded")]
    assert [(i["id"], i["days_overdue"]) for i in editor.get("/api/v1/kb/review-due").json["items"]] == [(article, 1)]


def test_a_new_review_by_date_that_passes_too_tells_the_unit_again(reachable, app):
    first = TODAY - DAY
    (article,) = _articles(app, first, ["DEPT-C"])
    assert _run(app) == 1
    # The editor reviews the article and sets a new date, leaving the flag open.
    second = TODAY + 2 * DAY
    _set_review_by(reachable, article, second)
    assert _run(app) == 0
    assert len(_messages(app)) == 1
    app.config["CLOCK"] = lambda: FROZEN_NOW + 3 * DAY  # the new date has passed too
    assert _run(app) == 0  # the article's review flag is still open: no second flag
    assert _run(app) == 0
    assert _messages(app) == [
        (_key(app, article, first, "DEPT-C"), "DEPT-C", "outbox", "recorded"),
        (_key(app, article, second, "DEPT-C"), "DEPT-C", "outbox", "recorded"),
    ]
    # Resolving the flag while the date is still past raises a new flag, but the unit was
    # told about this date already.
    editor = reachable.client("kb_editor")
    (flag,) = editor.get("/api/v1/kb/flags").json["items"]
    assert editor.post(f"/api/v1/kb/flags/{flag['id']}/resolve", json={"resolution": "已复审"}).status_code == 200
    assert _run(app) == 1
    assert _flags(app) == [(article, "resolved"), (article, "open")]
    assert len(_messages(app)) == 2


def test_without_an_owner_unit_or_its_contact_only_editors_are_told(reachable, app):
    orphan, silent, told = _articles(app, TODAY - DAY, [None, "DEPT-B", "DEPT-A"])
    assert _run(app) == 3  # no error for the two without anyone to tell
    assert _flags(app) == [(orphan, "open"), (silent, "open"), (told, "open")]
    assert [m[1] for m in _messages(app)] == ["DEPT-A"]  # nothing in the outbox for the other two
    # Once an admin enters DEPT-B's contact, the next run tells it (its key was never used).
    _contact(reachable, "DEPT-B", notify_phone="13800000102")
    assert _run(app) == 0
    assert _messages(app) == [
        (_key(app, told, TODAY - DAY, "DEPT-A"), "DEPT-A", "outbox", "recorded"),
        (_key(app, silent, TODAY - DAY, "DEPT-B"), "DEPT-B", "outbox", "recorded"),
    ]


def _addresses(app):
    """(recipient, address) of each review-due message, oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.template_code == "unit_kb_review_due").order_by(Notification.id)
        )
        return [(n.recipient_label, n.address) for n in rows]


def test_a_unit_is_told_at_its_address_on_the_templates_channel(world, app):
    # The message is an SMS: a unit with only an e-mail address is not told, and its key
    # is not used up, so that it is told once it has a mobile.
    _contact(world, "DEPT-C", notify_email="urban@example.gov.cn")
    (first,) = _articles(app, TODAY - DAY, ["DEPT-C"])
    assert _run(app) == 1
    assert (_messages(app), _flags(app)) == ([], [(first, "open")])
    _contact(world, "DEPT-C", notify_phone="13800000103")
    assert _run(app) == 0
    assert _addresses(app) == [("DEPT-C", "13800000103")]
    # An admin makes it an e-mail: a unit with only a mobile is not told, one with an
    # e-mail address is told there.
    r = world.client("admin").patch(
        "/api/v1/notification-templates/unit_kb_review_due",
        json={"channel": "email", "subject": "知识条目{article_id}到期复审"},
    )
    assert r.status_code == 200, r.json
    _contact(world, "DEPT-A", notify_phone="13800000101")
    _contact(world, "DEPT-B", notify_email="market@example.gov.cn")
    _, by_mail = _articles(app, TODAY - DAY, ["DEPT-A", "DEPT-B"])
    assert _run(app) == 2
    assert _addresses(app) == [("DEPT-C", "13800000103"), ("DEPT-B", "market@example.gov.cn")]
    assert _messages(app)[-1] == (_key(app, by_mail, TODAY - DAY, "DEPT-B"), "DEPT-B", "outbox", "recorded")


def test_an_article_given_to_another_unit_tells_that_unit_too(reachable, app):
    (article,) = _articles(app, TODAY - DAY, ["DEPT-A"])
    assert _run(app) == 1
    r = reachable.client("kb_editor").patch(f"/api/v1/kb/articles/{article}", json={"owner_unit": "DEPT-C"})
    assert r.status_code == 200, r.json
    assert _run(app) == 0  # the flag is still open
    assert _run(app) == 0
    assert _messages(app) == [
        (_key(app, article, TODAY - DAY, "DEPT-A"), "DEPT-A", "outbox", "recorded"),
        (_key(app, article, TODAY - DAY, "DEPT-C"), "DEPT-C", "outbox", "recorded"),
    ]


@pytest.mark.parametrize("flagged_before", [False, True], ids=["fresh", "flags-already-open"])
def test_two_runs_at_once_tell_each_owner_unit_once(world, app, flagged_before):
    owners = ["DEPT-A", "DEPT-C", "DEPT-B", None] * 10
    due = _articles(app, TODAY - 5 * DAY, owners)
    _articles(app, TODAY, owners[:8])  # due tomorrow only
    if flagged_before:
        # Flagged by an earlier run, when no unit had a contact: now the two runs race on the
        # messages alone (neither waits on the other's flag insert).
        assert _run(app) == len(due) and _messages(app) == []
    _contact(world, "DEPT-A", notify_phone="13800000101")
    _contact(world, "DEPT-C", notify_phone="13800000103")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def slow(article, **_):  # a longer transaction per run, so that the two overlap
        time.sleep(0.005)

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(_run(app))
        except Exception as exc:  # reported below
            errors.append(exc)

    signals.article_review_due.connect(slow)
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        signals.article_review_due.disconnect(slow)
    assert not errors, errors
    assert sum(results) == (0 if flagged_before else len(due))  # each flag added by one of the two
    assert sorted(_flags(app)) == sorted((a, "open") for a in due)
    told = [(a, owner) for a, owner in zip(due, owners, strict=True) if owner in ("DEPT-A", "DEPT-C")]
    assert len(told) == 20
    assert sorted(_messages(app)) == sorted(
        (_key(app, a, TODAY - 5 * DAY, owner), owner, "outbox", "recorded") for a, owner in told
    )


@pytest.mark.redis
def test_the_job_delivered_twice_by_rq_tells_the_unit_once(make_app, redis_url):
    from rq import Queue

    from hotline.core.redis import get_redis
    from tests.factories import World
    from workers.queues import make_worker

    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        world = World.build(app)
    _contact(world, "DEPT-A", notify_phone="13800000101")
    (article,) = _articles(app, TODAY - DAY, ["DEPT-A"])
    queue = Queue("default", connection=get_redis(app))
    queue.enqueue(JOB, job_id="kb-review-due-1")
    queue.enqueue(JOB, job_id="kb-review-due-2")  # a second scheduler, a re-delivery
    make_worker(app, ["default", "notifications"], simple=True).work(burst=True)
    assert _messages(app) == [(_key(app, article, TODAY - DAY, "DEPT-A"), "DEPT-A", "outbox", "recorded")]
    assert _flags(app) == [(article, "open")]
