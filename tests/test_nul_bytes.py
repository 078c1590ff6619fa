"""A NUL byte where no schema looks (a path segment, a form field) is a 4xx, never a 500.

PostgreSQL refuses NUL in text where SQLite compares it, so without the check the same
request was a 404 on SQLite and a 500 on PostgreSQL: these tests fail on the PostgreSQL run
without it.
"""

import re

from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.extensions import db
from hotline.supervision.models import SupervisionCase
from hotline.tickets.models import Ticket

SIGNED_IN = ("operator", "dispatcher", "supervisor", "admin", "kb_editor", "staff_a")
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _client(app, world, user):
    """Signed in both ways: the web session cookie and the API bearer token."""
    client = app.test_client()
    assert client.post("/login", data={"username": user, "password": "password-123"}).status_code == 302
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[user]}"
    return client


def test_a_nul_in_any_path_segment_is_a_404_naming_it(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.arguments]
    assert len(rules) > 30  # the tickets, units, categories, users, cases, articles, ... routes
    failures = []
    for user in SIGNED_IN:
        client = _client(app, world, user)
        for rule in rules:
            path = ARGUMENT.sub(lambda m: "1%00" if m.group(1) == "int" else "A%00B", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                r = client.open(path, method=method, json={} if method != "GET" else None)
                r.close()
                if r.status_code != 404:
                    failures.append((user, method, rule.rule, r.status_code, r.get_data(as_text=True)[:120]))
                elif path.startswith("/api/") and "1%00" not in path:
                    # The API names the segment; on the pages it is the plain 404 page.
                    field = r.json["error"].get("field")
                    if field not in rule.arguments:
                        failures.append((user, method, rule.rule, "field", field))
    assert failures == []


def test_a_nul_in_the_sign_in_name_is_refused_and_counts_no_failure(app, world):
    client = app.test_client()
    r = client.post("/login", data={"username": "operator\x00", "password": "wrong"})
    assert r.status_code == 422
    assert "非法字符" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.failed_login_count).where(User.username == "operator")) == 0
    # The field is not the only way in: a NUL in a field's name is refused as well.
    r = client.post("/login", data={"username": "operator", "password": "password-123", "x\x00": "1"})
    assert r.status_code == 422


def test_a_nul_in_a_form_field_changes_nothing(app, world):
    number = world.ticket("dispatched", lead="DEPT-A", request_type="consultation")
    cases = _count(app, SupervisionCase)
    supervisor = _client(app, world, "supervisor")
    r = supervisor.post("/supervision/cases", data={"ticket": "A\x00B", "reason": "态度恶劣"})
    assert r.status_code == 422
    assert _count(app, SupervisionCase) == cases

    operator = _client(app, world, "operator")
    tickets = _count(app, Ticket)
    r = operator.post(
        "/tickets/new",
        data={
            "caller_phone": "13800138000",
            "request_type": "help",
            "category": "MISC",
            "content": "求助\x00",
            "channel": "phone",
            "urgency": "normal",
            "intent": "save",
        },
    )
    assert r.status_code == 422
    assert _count(app, Ticket) == tickets
    # And the ticket itself is still found by its real number.
    assert operator.get(f"/api/v1/tickets/{number}").status_code == 200
