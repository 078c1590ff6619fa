"""Sign-in that resists guessing and cannot be used to lock staff out (issue 19).

Each test runs with the counters in the database (no Redis) and in Redis. Client
addresses are set per request (REMOTE_ADDR), as a server sees them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.accounts import services as accounts
from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db

pytestmark = pytest.mark.any_database

RIGHT, WRONG = "password-123", "wrong-guess-1"


@pytest.fixture(params=["database", "redis"])
def store(request, app):
    if request.param == "redis":
        app.config["REDIS_URL"] = request.getfixturevalue("redis_url")
    return request.param


def _token(app, username, password, address="10.0.0.1"):
    client = app.test_client()
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _page(app, username, password, address="10.0.0.1"):
    return app.test_client().post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _later(app, **delta):
    with app.app_context():
        moment = clock.now() + timedelta(**delta)
    app.config["CLOCK"] = lambda: moment


def test_one_address_guessing_one_account_waits_longer_each_time_and_never_locks_the_user_out(world, app, store):
    for _ in range(5):
        assert _token(app, "operator", WRONG).status_code == 401
    r = _token(app, "operator", RIGHT)  # the right password, from the guessing address: not even checked
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert r.json["error"]["code"] == "too_many_attempts"
    # The real user, at their own desk, signs in all the same.
    assert _token(app, "operator", RIGHT, address="10.0.0.2").status_code == 200
    _later(app, seconds=61)
    assert _token(app, "operator", WRONG).status_code == 401  # one more try, then twice as long
    assert _token(app, "operator", WRONG).headers["Retry-After"] == "120"


def test_one_address_trying_every_username_is_stopped(world, app, store):
    for i in range(20):
        assert _token(app, f"user{i}", WRONG).status_code == 401
    r = _token(app, "operator", RIGHT)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == 60
    assert _token(app, "operator", RIGHT, address="10.0.0.2").status_code == 200


def test_many_addresses_guessing_one_account_slow_only_addresses_it_never_used(world, app, store):
    assert _token(app, "admin", RIGHT, address="10.1.1.1").status_code == 200  # the admin's own desk
    for i in range(10):
        assert _token(app, "admin", WRONG, address=f"192.0.2.{i}").status_code == 401
    r = _token(app, "admin", RIGHT, address="192.0.2.200")
    assert r.status_code == 429 and r.headers["Retry-After"] == "30"
    assert _token(app, "admin", RIGHT, address="10.1.1.1").status_code == 200


def test_every_failure_gets_one_answer(world, app, store):
    assert world.client("admin").patch("/api/v1/users/staff_b", json={"is_active": False}).status_code == 200
    answers = [
        _token(app, "operator", WRONG, address="10.0.0.3"),  # a wrong password
        _token(app, "nobody", WRONG, address="10.0.0.4"),  # an unknown username
        _token(app, "staff_b", RIGHT, address="10.0.0.5"),  # a disabled account, the right password
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({r.get_data() for r in answers}) == 1
    pages = [_page(app, "operator", WRONG, "10.0.0.6"), _page(app, "staff_b", RIGHT, "10.0.0.7")]
    assert {r.status_code for r in pages} == {401}
    assert all("用户名或密码错误" in r.get_data(as_text=True) for r in pages)


def test_every_attempt_is_audited_without_the_password(world, app, store):
    assert world.client("admin").patch("/api/v1/users/staff_b", json={"is_active": False}).status_code == 200
    assert _token(app, "operator", RIGHT).status_code == 200
    _token(app, "operator", WRONG)
    _token(app, "nobody", WRONG)
    _page(app, "staff_b", RIGHT)
    for _ in range(5):
        _token(app, "operator2", WRONG, address="10.0.0.9")
    with app.app_context():
        events = AuditEvent.query.filter(AuditEvent.action.in_(["login", "login.failed"])).order_by(AuditEvent.id)
        seen = [(e.action, e.object_id, e.data.get("reason"), e.data.get("via")) for e in events]
        stored = repr([e.data for e in AuditEvent.query.all()])
    assert seen[:4] == [
        ("login", "operator", None, "api"),
        ("login.failed", "operator", "wrong_password", "api"),
        ("login.failed", "nobody", "unknown_user", "api"),
        ("login.failed", "staff_b", "disabled", "web"),
    ]
    assert seen[-1] == ("login.failed", "operator2", "wrong_password", "api")
    assert _token(app, "operator2", RIGHT, address="10.0.0.9").status_code == 429
    with app.app_context():
        last = AuditEvent.query.order_by(AuditEvent.id.desc()).first()
        assert (last.data["reason"], last.data["address"], last.data["retry_after"]) == ("throttled", "10.0.0.9", 60)
    assert RIGHT not in stored and WRONG not in stored


def test_an_admin_lifts_the_lock(world, app, store):
    for i in range(5):
        _token(app, "operator", WRONG)
    for i in range(10):
        _token(app, "operator", WRONG, address=f"192.0.2.{i}")
    assert _token(app, "operator", RIGHT).status_code == 429
    with app.app_context():
        user, admin = world.user("operator"), world.user("admin")
        state = accounts.sign_in_lock_state(user, now=clock.now())
        assert state["locked_until"] is not None and state["account_failures"] == 10
        # The admins' list reads every account's lock at once and agrees.
        assert accounts.locked_usernames([user, admin], clock.now()) == {"operator"}
        assert accounts.locked_usernames([admin], clock.now()) == set()
        assert accounts.lift_sign_in_lock(user, actor=admin, now=clock.now()) >= 2
        db.session.commit()
        assert accounts.sign_in_lock_state(user, now=clock.now())["locked_until"] is None
        assert accounts.locked_usernames([user, admin], clock.now()) == set()
        assert AuditEvent.query.filter_by(action="user.unlock", object_id="operator").count() == 1
    assert _token(app, "operator", RIGHT).status_code == 200
    assert _token(app, "operator", RIGHT, address="192.0.2.77").status_code == 200


def test_the_sign_in_page_says_when_to_try_again(world, app, store):
    for _ in range(5):
        assert _page(app, "operator", WRONG).status_code == 401
    r = _page(app, "operator", RIGHT)
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert "登录失败次数过多，请 1 分钟后再试。" in r.get_data(as_text=True)
    assert _page(app, "operator", RIGHT, address="10.0.0.2").status_code == 302


def test_hsts_is_sent_when_cookies_are_secure(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert app.test_client().get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"
