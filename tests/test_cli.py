"""The command line: users create, demo seed."""

from collections import Counter

from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.extensions import db
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units.models import Unit


def test_users_create_reads_the_password_from_stdin(world, app):
    app.config["PASSWORD_HASH_METHOD"] = None  # the product's default (the suite's is cheaper)
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=["users", "create", "hrss9", "--role", "unit_staff", "--unit", "DEPT-A", "--password-stdin"],
        input="a-long-password\n",
    )
    assert r.exit_code == 0, r.output
    assert "created user hrss9" in r.output and "a-long-password" not in r.output
    with app.app_context():
        user = User.query.filter_by(username="hrss9").one()
        assert user.unit.code == "DEPT-A" and user.password_hash.startswith("scrypt:")
    token = app.test_client().post("/api/v1/auth/token", json={"username": "hrss9", "password": "a-long-password"})
    assert token.status_code == 200


def test_users_create_prompts_for_the_password(world, app):
    r = app.test_cli_runner().invoke(
        args=["users", "create", "op9", "--role", "operator"], input="a-long-password\na-long-password\n"
    )
    assert r.exit_code == 0, r.output


def test_users_create_refuses_bad_input_and_writes_nothing(world, app):
    runner = app.test_cli_runner()
    cases = [
        (["users", "create", "x9", "--role", "unit_staff", "--password-stdin"], "a-long-password\n", "unit"),
        (
            ["users", "create", "x9", "--role", "operator", "--unit", "DEPT-A", "--password-stdin"],
            "a-long-password\n",
            "unit",
        ),
        (["users", "create", "x9", "--role", "operator", "--password-stdin"], "short\n", "password"),
        (["users", "create", "operator", "--role", "operator", "--password-stdin"], "a-long-password\n", "already"),
        (["users", "create", "x9", "--role", "wizard", "--password-stdin"], "a-long-password\n", "wizard"),
    ]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    for args, stdin, fragment in cases:
        r = runner.invoke(args=args, input=stdin)
        assert r.exit_code != 0, args
        assert fragment in r.output, r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before


def test_users_disable_takes_effect_at_once(world, app):
    assert world.client("operator").get("/api/v1/auth/me").status_code == 200
    r = app.test_cli_runner().invoke(args=["users", "disable", "operator"])
    assert r.exit_code == 0, r.output
    assert world.client("operator").get("/api/v1/auth/me").status_code == 401


def test_demo_seed_is_complete_and_idempotent(demo):
    app, first_output = demo  # seeded once per session (tests/conftest.py)
    runner = app.test_cli_runner()
    assert "demo-12345" in first_output and "operator" in first_output
    with app.app_context():
        levels = Counter(u.level for u in Unit.query)
        assert levels["district"] >= 3 and levels["town"] >= 6 and levels["city"] >= 9
        roles = {u.role for u in User.query}
        assert roles == {"operator", "dispatcher", "unit_staff", "supervisor", "kb_editor", "admin"}
        statuses = Counter(t.status for t in Ticket.query)
        assert set(statuses) == {
            "new",
            "pending_dispatch",
            "dispatched",
            "accepted",
            "returned",
            "replied",
            "closed",
            "merged",
        }
        assert sum(statuses.values()) >= 36
        assert Ticket.query.filter(Ticket.reopen_count > 0).count() >= 1
        counts = (Unit.query.count(), User.query.count(), Ticket.query.count(), TicketEvent.query.count())
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert "tickets added: 0" in second.output
    with app.app_context():
        assert (Unit.query.count(), User.query.count(), Ticket.query.count(), TicketEvent.query.count()) == counts
    # The demo users can sign in with the printed password.
    r = app.test_client().post("/api/v1/auth/token", json={"username": "op1", "password": "demo-12345"})
    assert r.status_code == 200


def test_demo_seed_refuses_production(make_app):
    app = make_app(HOTLINE_ENV="production")
    r = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert r.exit_code != 0 and "production" in r.output
