"""A NUL byte where no schema looks (a path segment, a form field) is a 4xx, never a 500.

PostgreSQL refuses NUL in text where SQLite compares it, so without the check the same
request was a 404 on SQLite and a 500 on PostgreSQL. The suite's SQLite engines refuse a NUL
the way PostgreSQL does (tests/conftest.py, _refuse_nul_like_postgresql), so these tests
fail on the SQLite run without the check, and run there only.
"""

import html
import re

import pytest
from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.extensions import db
from hotline.supervision.models import SupervisionCase
from hotline.tickets.models import Ticket
from tests.route_paths import path_for

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
    # The form is shown again with the name kept and the field marked.
    page = r.get_data(as_text=True)
    assert 'name="username"' in page
    # A stray field the form does not read reaches nothing: it is ignored.
    r = client.post("/login", data={"username": "operator", "password": "password-123", "x\x00": "1"})
    assert r.status_code == 302


def test_a_nul_in_a_form_field_changes_nothing(app, world):
    number = world.ticket("dispatched", lead="DEPT-A", request_type="consultation")
    cases = _count(app, SupervisionCase)
    supervisor = _client(app, world, "supervisor")
    r = supervisor.post("/supervision/cases", data={"ticket": "A\x00B", "reason": "态度恶劣"})
    assert r.status_code == 303  # back to the list, with the reason flashed
    assert "/tickets/" not in r.headers["Location"]
    assert _count(app, SupervisionCase) == cases
    page = supervisor.get(r.headers["Location"]).get_data(as_text=True)
    assert "立案失败" in page and "非法字符" in page

    operator = _client(app, world, "operator")
    tickets = _count(app, Ticket)
    r = operator.post(
        "/tickets/new",
        data={
            "caller_phone": "13800138000",
            "caller_name": "王先生",
            "request_type": "help",
            "category": "MISC",
            "address": "人民路 18 号",
            "content": "求助\x00",
            "channel": "phone",
            "urgency": "normal",
            "intent": "save",
        },
    )
    assert r.status_code == 422
    assert _count(app, Ticket) == tickets
    # The intake form comes back with what the operator typed and the field marked.
    page = r.get_data(as_text=True)
    assert 'value="13800138000"' in page and 'value="王先生"' in page and "人民路 18 号" in page
    assert "非法字符" in page or "NUL" in page
    # And the ticket itself is still found by its real number.
    assert operator.get(f"/api/v1/tickets/{number}").status_code == 200


def _row_counts(app):
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def _form_cases():
    """Every web form of the page rules, with the first role that may submit it."""
    from tests.web.test_page_permissions import PAGES, USER_OF

    for (method, rule), route_spec in sorted(PAGES.items()):
        if method != "POST" or rule == "/login":
            continue
        for name, spec in (route_spec.get("actions") or {None: route_spec}).items():
            if not spec.get("form"):
                continue
            role = next((r for r, status in spec["expected"].items() if r != "anonymous" and status < 400), None)
            if role is None:  # a form no signed-in role gets through (e.g. the public lookup, 404 for a wrong pair)
                continue
            yield pytest.param(rule, name, spec, USER_OF.get(role, role), id=f"{rule} {name or ''} as {role}")


@pytest.mark.parametrize(("rule", "action_name", "spec", "user"), list(_form_cases()))
def test_a_nul_in_any_field_of_any_form_is_refused_and_changes_nothing(app, world, rule, action_name, spec, user):
    """One field at a time: the form's own validation refuses it (the page again, or back
    with the message flashed); never a 500, never a write, on PostgreSQL as on SQLite."""
    failures = []
    for field in spec["form"]:
        actions = {"action": action_name, "form": action_name} if action_name else {}
        path = path_for(world, rule, spec, **actions)
        if rule.startswith("/kb/search/"):  # back to the search the 纠错 was made from
            path += "?q=社保卡丢失"
        form = dict(spec["form"])
        if form.get("into") == "TARGET":
            form["into"] = world.ticket("new")
        form[field] = f"{form[field]}\x00"
        client = _client(app, world, user)
        before = _row_counts(app)
        r = client.post(path, data=form)
        after = _row_counts(app)
        body = r.get_data(as_text=True)
        if r.status_code not in (303, 400, 409, 422) or after != before:
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            failures.append((field, r.status_code, changed, body[:200]))
        elif rule.startswith("/ui/"):  # the pages' JSON calls: the error names the field
            if not r.is_json or r.json["error"].get("field") != field:
                failures.append((field, "no JSON error naming the field", body[:200]))
        elif r.status_code != 303:
            # The form again, not the bare error page, with what was typed in the other fields.
            kept = [v for k, v in form.items() if k != field and not str(v).isascii()]
            if "error-page" in body or "<form" not in body or any(html.escape(str(v)) not in body for v in kept):
                failures.append((field, "the form is not shown again with its values", body[:200]))
        elif r.status_code == 303:
            page = client.get(r.headers["Location"]).get_data(as_text=True)
            if "flash-error" not in page:
                failures.append((field, "no message after the redirect", page[:200]))
    assert failures == []


def test_the_suites_sqlite_refuses_a_nul_as_postgresql_does(app):
    """What makes the tests above meaningful on SQLite: a NUL that reaches the database fails."""
    from sqlalchemy import text
    from sqlalchemy.exc import StatementError

    with app.app_context(), pytest.raises((StatementError, ValueError)):
        db.session.execute(text("SELECT :v"), {"v": "a\x00b"})
