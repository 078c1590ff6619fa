"""Any input is a clear 4xx, never a 500 (issue 19, first class), and changes nothing.

JSON the parser does not call a syntax error (too deep, integers too long, NaN), integers
in forms that ``str.isdigit()`` would take (``²``), invalid UTF-8 in forms, chunked bodies
past the limit, and long text that does not fit a URL. Each of these failed before.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from hotline.core.validation import parse_int
from hotline.extensions import db
from hotline.tickets.models import Ticket
from knowledge_base.schemas import SUGGEST_MAX_TEXT
from tests.route_paths import path_for
from tests.test_nul_bytes import _client, _form_cases, _row_counts

pytestmark = pytest.mark.any_database

TICKET = {
    "caller_phone": "13800138000",
    "request_type": "complaint",
    "category": "SOC.PEN",
    "content": "小区路灯不亮已经一周。",
}
DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
LONG_INTEGER = b'{"caller_phone": ' + b"7" * 5000 + b"}"


def _tickets(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT, LONG_INTEGER, b'{"limit": NaN}', b"[Infinity]", b"-Infinity"])
@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/tickets"])
def test_json_the_parser_does_not_call_a_syntax_error_is_a_400_and_logs_nothing(app, world, caplog, path, raw):
    client = world.client("operator")
    with caplog.at_level(logging.INFO):
        r = client.post(path, data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.get_data()[:200]
    assert r.json["error"]["code"] == "invalid_json" and r.json["error"]["message_zh"]
    assert [rec for rec in caplog.records if rec.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("-3", -3),
        ("²", None),
        ("１２", None),
        ("٣", None),
        ("1_0", None),
        ("3.0", None),
        ("+4", None),
        ("", None),
        ("9" * 5000, None),
        ("9" * 19, None),
        ("12\x00", None),
    ],
)
def test_parse_int_takes_ascii_digits_only(text, expected):
    assert parse_int(text) == expected


def test_parse_int_bounds():
    assert parse_int("0", minimum=1) is None
    assert parse_int("721", maximum=720) is None
    assert parse_int("720", minimum=1, maximum=720) == 720


def _hostile_form_cases():
    return [p for p in _form_cases() if not p.values[0].startswith("/ui/kb/suggest")]


@pytest.mark.parametrize(("rule", "action_name", "spec", "user"), _hostile_form_cases())
def test_no_form_field_takes_a_superscript_a_huge_number_or_invalid_utf8(app, world, rule, action_name, spec, user):
    """Every form of the page rules, one field at a time: ``²``, a 5,000-digit number and
    percent-encoded invalid UTF-8 are refused (never a 500) and change nothing."""
    failures = []
    actions = {"action": action_name, "form": action_name} if action_name else {}
    path = path_for(world, rule, spec, **actions)
    client = _client(app, world, user)
    for field in spec["form"]:
        for bad in ("²", "9" * 5000, None):
            form = dict(spec["form"])
            if form.get("into") == "TARGET":
                form["into"] = world.ticket("new")
            before = _row_counts(app)
            if bad is None:  # %FF%FE, as a hand-made request would send it
                raw = urlencode({k: v for k, v in form.items() if k != field}).encode() + f"&{field}=%FF%FE".encode()
                r = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
            else:
                form[field] = bad
                r = client.post(path, data=form)
            status, changed = r.status_code, _row_counts(app) != before
            refused = status in (400, 422) or (status == 303 and not changed)  # 303: back, message flashed
            if (
                status >= 500
                or (bad is None and (status != 400 or changed))
                or (not _accepts_text(field) and not refused)
            ):
                failures.append((field, (bad or "%FF%FE")[:8], status, r.get_data(as_text=True)[:160]))
    assert failures == []


def _accepts_text(field: str) -> bool:
    """Fields where ``²`` or a long number is ordinary text (a note may say "5000 m²")."""
    return field not in {"hours", "article_id", "limit", "page", "per_page", "approve", "resolved"}


def test_the_extension_forms_hours_and_intakes_article_id_refuse_superscripts(app, world):
    number = world.ticket("accepted", lead="DEPT-A")
    staff = _client(app, world, "staff_a")
    for hours in ("²", "1" * 5000):
        r = staff.post(f"/tickets/{number}/request-extension", data={"hours": hours, "reason": "需现场核查"})
        assert r.status_code == 422, r.status_code
        assert "error-page" not in r.get_data(as_text=True)
    operator = _client(app, world, "operator")
    before = _tickets(app)
    r = operator.post(
        "/tickets/new",
        data={
            **TICKET,
            "channel": "phone",
            "urgency": "normal",
            "intent": "answer",
            "answer": "已答复",
            "article_id": "²",
        },
    )
    assert r.status_code == 422 and _tickets(app) == before


def test_invalid_utf8_in_a_form_is_refused_like_the_api_does(app, world):
    operator = _client(app, world, "operator")
    before = _tickets(app)
    raw = b"caller_phone=13800138000&request_type=complaint&category=MISC&channel=phone&urgency=normal"
    raw += b"&intent=save&content=%FF%FE%E8%B7%AF%E7%81%AF"
    r = operator.post("/tickets/new", data=raw, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert "无效的字符编码" in r.get_data(as_text=True)
    assert _tickets(app) == before
    r = operator.post("/api/v1/tickets", data=b'{"content": "\xff\xfe"}', content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_utf8"


def _chunked(client, path, body: bytes):
    """As gunicorn hands a chunked request over: no Content-Length, the input terminated."""
    return client.post(
        path,
        environ_overrides={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )


def test_a_chunked_body_is_held_to_the_limit(app, world):
    import json

    client = world.client("operator")
    limit = app.config["MAX_CONTENT_LENGTH"]
    ticket = json.dumps(TICKET).encode()
    before = _tickets(app)
    r = _chunked(client, "/api/v1/tickets", ticket + b" " * (3 * 1024 * 1024))
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    r = _chunked(client, "/api/v1/tickets", ticket[:-1] + b', "address": "' + b"x" * limit + b'"}')
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert _tickets(app) == before
    # Within the limit, a chunked body is read whole.
    r = _chunked(client, "/api/v1/tickets", ticket + b" " * 1000)
    assert r.status_code == 201 and _tickets(app) == before + 1


def test_suggestions_take_text_of_any_length_a_ticket_accepts(app, world):
    from hotline.tickets.schemas import MAX_CONTENT

    assert SUGGEST_MAX_TEXT == MAX_CONTENT
    world.article("published")
    text = ("社保卡丢失怎么补办" * 600)[:MAX_CONTENT]
    r = world.client("operator").post("/api/v1/kb/suggest", json={"text": text, "limit": 5})
    assert r.status_code == 200 and r.json["results"]
    r = world.client("operator").post("/api/v1/kb/suggest", json={"text": text + "多", "limit": 5})
    assert r.status_code == 422 and r.json["error"]["field"] == "text"
    page = _client(app, world, "operator").post("/ui/kb/suggest", data={"text": text, "limit": "5"})
    assert page.status_code == 200 and page.json["results"]


def test_every_error_under_api_is_json(app, world):
    client = world.client("operator")
    cases = [
        (client.get("/api/v1/no-such-thing"), 404, "not_found"),
        (client.delete("/api/v1/tickets"), 405, "method_not_allowed"),
        (client.get("/api/v1/kb/suggest?text=" + "路" * 12000), 414, "uri_too_long"),
        (client.post("/api/v1/tickets", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)), 413, "too_large"),
        (app.test_client().get("/api/v1/tickets"), 401, "unauthenticated"),
    ]
    for r, status, code in cases:
        assert (r.status_code, r.is_json) == (status, True), (status, r.get_data()[:120])
        assert r.json["error"]["code"] == code and r.json["error"]["message"] and r.json["error"]["message_zh"]
