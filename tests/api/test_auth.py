"""Sign-in, tokens, revocation, disabled users (the throttle: test_sign_in_throttle.py)."""

import logging
from datetime import timedelta

from hotline.accounts.models import ApiToken, User
from hotline.audit.models import AuditEvent
from hotline.core import clock


def _login(client, username="operator", password="password-123"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_gives_a_working_token(world, app):
    r = _login(world.client())
    assert r.status_code == 200, r.json
    token = r.json["token"]
    assert token.startswith("hl_") and r.json["user"]["role"] == "operator"
    me = world.client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "operator"
    with app.app_context():
        # Only the hash is stored.
        assert all(token not in (t.token_hash or "") for t in ApiToken.query)
        assert AuditEvent.query.filter_by(action="login", object_id="operator").count() == 1


def test_wrong_password_and_unknown_user_get_the_same_answer(world):
    a = _login(world.client(), password="wrong-password")
    b = _login(world.client(), username="nobody")
    assert a.status_code == b.status_code == 401
    assert a.json["error"]["code"] == b.json["error"]["code"] == "invalid_credentials"
    assert a.json["error"]["message"] == b.json["error"]["message"]


def test_revoked_token_is_refused(world):
    token = _login(world.client()).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client().delete("/api/v1/auth/token", headers=headers).status_code == 204
    r = world.client().get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_token"


def test_expired_token_is_refused(world, app):
    token = _login(world.client()).json["token"]
    with app.app_context():
        later = clock.now() + timedelta(hours=12, seconds=1)
    app.config["CLOCK"] = lambda: later
    r = world.client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_disabled_user_is_refused_at_once(world, app):
    staff = world.client("staff_a")
    assert staff.get("/api/v1/tickets").status_code == 200
    r = world.client("admin").patch("/api/v1/users/staff_a", json={"is_active": False})
    assert r.status_code == 200 and r.json["is_active"] is False
    assert staff.get("/api/v1/tickets").status_code == 401
    assert _login(world.client(), username="staff_a").status_code == 401


def test_a_disabled_user_loses_the_web_session_at_once(world, app):
    """The pages as well as the API: the signed-in cookie stops working with the next request."""
    browser = app.test_client()
    assert browser.post("/login", data={"username": "staff_a", "password": "password-123"}).status_code == 302
    assert browser.get("/tickets").status_code == 200
    assert world.client("admin").patch("/api/v1/users/staff_a", json={"is_active": False}).status_code == 200
    r = browser.get("/tickets")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = browser.post("/login", data={"username": "staff_a", "password": "password-123"})
    # The same answer as a wrong password: a disabled account never confirms its password.
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)


def test_passwords_never_reach_the_log(world, app, caplog):
    """Sign-in (right, wrong, locked), a password change and a new user, on the API and the
    pages, with every logger at DEBUG (SQL statements with their parameters included): the
    clear password is nowhere in the log, nor in the audit trail."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    secrets = ["password-123", "wrong-Secret-42", "a-new-Secret-77", "new-user-Secret-99"]
    api, admin, browser = world.client(), world.client("admin"), app.test_client()
    assert _login(api).status_code == 200
    for _ in range(6):  # wrong, then throttled
        assert _login(api, password="wrong-Secret-42").status_code in (401, 429)
    assert browser.post("/login", data={"username": "operator2", "password": "wrong-Secret-42"}).status_code == 401
    assert browser.post("/login", data={"username": "operator2", "password": "password-123"}).status_code == 302
    assert admin.patch("/api/v1/users/operator2", json={"password": "a-new-Secret-77"}).status_code == 200
    r = admin.post("/api/v1/users", json={"username": "op9", "password": "new-user-Secret-99", "role": "operator"})
    assert r.status_code == 201
    logged = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    assert "INSERT INTO users" in logged  # the statements were logged, with their parameters
    with app.app_context():
        audited = "\n".join(repr(e.__dict__) for e in AuditEvent.query.all())
    assert "user.create" in audited
    for secret in secrets:
        assert secret not in logged
        assert secret not in audited


def test_password_change_revokes_existing_tokens(world):
    op = world.client("operator")
    world.client("admin").patch("/api/v1/users/operator", json={"password": "a-new-password"})
    assert op.get("/api/v1/auth/me").status_code == 401
    assert _login(world.client(), password="a-new-password").status_code == 200


def test_missing_or_malformed_authorization(world):
    for header in [None, "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token", "Bearer hl_" + "x" * 200]:
        headers = {"Authorization": header} if header else {}
        r = world.client().get("/api/v1/tickets", headers=headers)
        assert r.status_code == 401, header
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_does_not_authenticate_the_api(world, app):
    client = app.test_client()
    r = client.post("/login", data={"username": "operator", "password": "password-123"})
    assert r.status_code == 302
    assert client.get("/api/v1/tickets").status_code == 401


def test_bad_login_bodies(world):
    client = world.client()
    assert client.post("/api/v1/auth/token", json={"username": "operator"}).status_code == 422
    assert client.post("/api/v1/auth/token", json={"username": "operator", "password": ""}).status_code == 422
    assert (
        client.post("/api/v1/auth/token", data=b"nope", headers={"Content-Type": "application/json"}).status_code == 400
    )


def test_user_administration(world, app):
    app.config["PASSWORD_HASH_METHOD"] = None  # the product's default (the suite's is cheaper)
    admin = world.client("admin")
    r = admin.post(
        "/api/v1/users",
        json={
            "username": "hrss2",
            "password": "long-enough-1",
            "role": "unit_staff",
            "unit": "DEPT-A",
            "display_name": "人社 AB 岗",
        },
    )
    assert r.status_code == 201 and r.json["unit"] == "DEPT-A"
    # Unit staff need a unit; other roles may not have one.
    r = admin.post("/api/v1/users", json={"username": "x1", "password": "long-enough-1", "role": "unit_staff"})
    assert r.status_code == 422 and r.json["error"]["field"] == "unit"
    r = admin.post(
        "/api/v1/users", json={"username": "x2", "password": "long-enough-1", "role": "operator", "unit": "DEPT-A"}
    )
    assert r.status_code == 422 and r.json["error"]["field"] == "unit"
    r = admin.post("/api/v1/users", json={"username": "x3", "password": "short", "role": "operator"})
    assert r.status_code == 422 and r.json["error"]["field"] == "password"
    r = admin.post("/api/v1/users", json={"username": "hrss2", "password": "long-enough-1", "role": "operator"})
    assert r.status_code == 409
    r = admin.post("/api/v1/users", json={"username": "bad name", "password": "long-enough-1", "role": "operator"})
    assert r.status_code == 422 and r.json["error"]["field"] == "username"
    r = admin.patch("/api/v1/users/hrss2", json={"is_active": None})
    assert r.status_code == 200 and r.json["is_active"] is True
    assert admin.patch("/api/v1/users/ghost", json={"display_name": "x"}).status_code == 404
    # Moving a user to another unit ends their sessions.
    r = admin.patch("/api/v1/users/staff_a", json={"unit": "DEPT-B"})
    assert r.status_code == 200 and r.json["unit"] == "DEPT-B"
    assert world.client("staff_a").get("/api/v1/auth/me").status_code == 401
    with app.app_context():
        assert User.query.filter_by(username="hrss2").one().password_hash.startswith("scrypt")
        assert AuditEvent.query.filter_by(action="user.create", object_id="hrss2").count() == 1
        assert AuditEvent.query.filter_by(action="user.update", object_id="staff_a").count() == 1
