"""Ticket intake: numbers, idempotency, and bad input that changes nothing."""

import json

import pytest

from hotline.audit.models import AuditEvent
from hotline.callers.models import Caller
from hotline.tickets.models import IdempotencyKey, Ticket, TicketEvent

from .test_lifecycle import NEW_TICKET


def counts(app):
    with app.app_context():
        return (
            Ticket.query.count(),
            TicketEvent.query.count(),
            Caller.query.count(),
            IdempotencyKey.query.count(),
            AuditEvent.query.count(),
        )


def test_numbers_are_sequential_per_local_day(world, app):
    op = world.client("operator")
    numbers = [op.post("/api/v1/tickets", json=NEW_TICKET).json["number"] for _ in range(3)]
    assert numbers == ["20261121-000001", "20261121-000002", "20261121-000003"]
    # 16:30 UTC is 00:30 the next day in Shanghai: a new day, a new sequence.
    from datetime import UTC, datetime

    app.config["CLOCK"] = lambda: datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert op.post("/api/v1/tickets", json=NEW_TICKET).json["number"] == "20261122-000001"


def test_the_caller_is_found_again_by_any_shape_of_the_number(world, app):
    op = world.client("operator")
    op.post("/api/v1/tickets", json={**NEW_TICKET, "caller_phone": "13800138000"})
    op.post("/api/v1/tickets", json={**NEW_TICKET, "caller_phone": "+86 138-0013-8000", "caller_name": "张伟"})
    anonymous = {k: v for k, v in NEW_TICKET.items() if k != "caller_name"}
    op.post("/api/v1/tickets", json={**anonymous, "caller_phone": "１３８００１３８０００"})
    with app.app_context():
        assert Caller.query.count() == 1
        assert Caller.query.one().name == "张伟"
    r = op.post("/api/v1/callers/lookup", json={"phone": "138 0013 8000"})
    assert r.status_code == 200 and r.json["total"] == 3 and r.json["caller"]["phone"] == "13800138000"


def test_idempotency_key_returns_the_same_ticket(world, app):
    op = world.client("operator")
    headers = {"Idempotency-Key": "call-7f3a-001"}
    first = op.post("/api/v1/tickets", json=NEW_TICKET, headers=headers)
    again = op.post("/api/v1/tickets", json=NEW_TICKET, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["number"] == first.json["number"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert counts(app)[0] == 1
    # The same key with a different body is a client bug: refused, nothing written.
    before = counts(app)
    r = op.post("/api/v1/tickets", json={**NEW_TICKET, "content": "另一件事"}, headers=headers)
    assert r.status_code == 422 and r.json["error"]["code"] == "idempotency_key_reused"
    assert counts(app) == before
    # Keys belong to their user: another operator's same key is a new ticket.
    r = world.client("operator2").post("/api/v1/tickets", json=NEW_TICKET, headers=headers)
    assert r.status_code == 201 and r.json["number"] != first.json["number"]


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
@pytest.mark.parametrize("key", ["", "x" * 256, "含中文", "a b"])
def test_malformed_idempotency_key_is_refused(world, app, key):
    r = world.client("operator").post("/api/v1/tickets", json=NEW_TICKET, headers={"Idempotency-Key": key})
    assert r.status_code == 400 and r.json["error"]["field"] == "Idempotency-Key"
    assert counts(app)[0] == 0


def test_emoji_and_rare_characters_are_kept_exactly(world):
    text = "𠮷野家门口的井盖🕳️丢了，𪚥字路口很危险😡 — 请尽快处理！\n第二行\t制表"
    r = world.client("operator").post(
        "/api/v1/tickets", json={**NEW_TICKET, "content": text, "caller_name": "𠀀先生", "address": "𡈽路𠂇号🏠"}
    )
    assert r.status_code == 201, r.json
    got = world.client("operator").get(f"/api/v1/tickets/{r.json['number']}").json
    assert got["content"] == text and got["caller_name"] == "𠀀先生" and got["address"] == "𡈽路𠂇号🏠"


def test_content_is_trimmed(world):
    r = world.client("operator").post("/api/v1/tickets", json={**NEW_TICKET, "content": "  路灯坏了  \n"})
    assert r.json["content"] == "路灯坏了"


BAD_BODIES = [
    # (description, body, status, field)
    ("missing content", {k: v for k, v in NEW_TICKET.items() if k != "content"}, 422, "content"),
    ("missing phone", {k: v for k, v in NEW_TICKET.items() if k != "caller_phone"}, 422, "caller_phone"),
    ("missing request type", {k: v for k, v in NEW_TICKET.items() if k != "request_type"}, 422, "request_type"),
    ("unknown field", {**NEW_TICKET, "status": "closed"}, 422, "status"),
    ("unknown field 2", {**NEW_TICKET, "lead_unit": "DEPT-A"}, 422, "lead_unit"),
    ("content not text", {**NEW_TICKET, "content": 123}, 422, "content"),
    ("content null", {**NEW_TICKET, "content": None}, 422, "content"),
    ("content list", {**NEW_TICKET, "content": ["a"]}, 422, "content"),
    ("empty content", {**NEW_TICKET, "content": ""}, 422, "content"),
    ("blank content", {**NEW_TICKET, "content": " \n\t "}, 422, "content"),
    ("over-long content", {**NEW_TICKET, "content": "字" * 5001}, 422, "content"),
    ("over-long address", {**NEW_TICKET, "address": "路" * 201}, 422, "address"),
    ("over-long name", {**NEW_TICKET, "caller_name": "名" * 51}, 422, "caller_name"),
    ("multi-line name", {**NEW_TICKET, "caller_name": "张\n三"}, 422, "caller_name"),
    ("NUL in content", {**NEW_TICKET, "content": "路灯\x00坏了"}, 422, "content"),
    ("NUL in name", {**NEW_TICKET, "caller_name": "\x00"}, 422, "caller_name"),
    ("control character", {**NEW_TICKET, "content": "路灯\x07坏了"}, 422, "content"),
    ("unknown request type", {**NEW_TICKET, "request_type": "praise-ish"}, 422, "request_type"),
    ("request type in Chinese", {**NEW_TICKET, "request_type": "投诉"}, 422, "request_type"),
    ("unknown urgency", {**NEW_TICKET, "urgency": "critical"}, 422, "urgency"),
    ("unknown channel", {**NEW_TICKET, "channel": "fax"}, 422, "channel"),
    ("unknown category", {**NEW_TICKET, "category": "NOPE"}, 422, "category"),
    ("category with bad characters", {**NEW_TICKET, "category": "SOC'; DROP TABLE tickets;--"}, 422, "category"),
    ("unknown area", {**NEW_TICKET, "area": "NOWHERE"}, 422, "area"),
    ("area that is a department", {**NEW_TICKET, "area": "DEPT-A"}, 422, "area"),
    ("invalid phone", {**NEW_TICKET, "caller_phone": "12345"}, 422, "caller_phone"),
    ("phone with letters", {**NEW_TICKET, "caller_phone": "138abcd1234"}, 422, "caller_phone"),
    ("foreign phone", {**NEW_TICKET, "caller_phone": "+1 415 555 0100"}, 422, "caller_phone"),
    ("phone as number", {**NEW_TICKET, "caller_phone": 13800138000}, 422, "caller_phone"),
]


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
@pytest.mark.parametrize(("case", "body", "status", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_body_is_refused_with_the_field_and_changes_nothing(world, app, case, body, status, field):
    before = counts(app)
    r = world.client("operator").post("/api/v1/tickets", json=body)
    assert r.status_code == status, r.json
    assert r.json["error"]["field"] == field
    assert r.json["error"]["message"]
    assert counts(app) == before


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
def test_lone_surrogate_is_refused(world, app):
    raw = json.dumps({**NEW_TICKET, "content": "abc"}).replace("abc", "\\ud800abc").encode()
    r = world.client("operator").post("/api/v1/tickets", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json["error"]["field"] == "content"
    assert counts(app)[0] == 0


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty_body"),
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"\xff\xfe{}", "invalid_utf8"),
        (
            json.dumps(NEW_TICKET, ensure_ascii=False).encode("utf-8").replace("路灯".encode(), b"\xe8\xb7"),
            "invalid_utf8",
        ),
    ],
)
def test_malformed_body_is_400(world, app, raw, code):
    r = world.client("operator").post("/api/v1/tickets", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["error"]["code"] == code
    assert counts(app)[0] == 0


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
def test_body_over_the_size_limit_is_413(world, app):
    big = json.dumps({**NEW_TICKET, "content": "字" * 400_000})
    r = world.client("operator").post("/api/v1/tickets", data=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert counts(app)[0] == 0


@pytest.mark.any_database  # refused before the database: the SQLite run shows it
@pytest.mark.parametrize(
    ("action", "state", "body", "field"),
    [
        ("dispatch", "pending_dispatch", {"lead_unit": "NOPE"}, "lead_unit"),
        ("dispatch", "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-A"]}, "assist_units"),
        ("dispatch", "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-B", "DEPT-B"]}, "assist_units"),
        ("dispatch", "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": ["GHOST"]}, "assist_units"),
        ("dispatch", "pending_dispatch", {"lead_unit": "DEPT-A", "assist_units": "DEPT-B"}, "assist_units"),
        ("dispatch", "pending_dispatch", {"lead_unit": 5}, "lead_unit"),
        ("return", "accepted", {}, "reason"),
        ("return", "accepted", {"reason": "   "}, "reason"),
        ("reply", "accepted", {"content": ""}, "content"),
        ("reply", "accepted", {"content": "答" * 5001}, "content"),
        ("reply", "accepted", {"content": "ok", "extra": 1}, "extra"),
        ("request-extension", "accepted", {"hours": 0, "reason": "x"}, "hours"),
        ("request-extension", "accepted", {"hours": 721, "reason": "x"}, "hours"),
        ("request-extension", "accepted", {"hours": "24", "reason": "x"}, "hours"),
        ("request-extension", "accepted", {"hours": 2.5, "reason": "x"}, "hours"),
        ("request-extension", "accepted", {"hours": True, "reason": "x"}, "hours"),
        ("request-extension", "accepted", {"hours": 24}, "reason"),
        ("decide-extension", "extension_pending", {"approve": "yes"}, "approve"),
        ("decide-extension", "extension_pending", {}, "approve"),
        ("callback", "replied", {"satisfaction": "happy", "resolved": True}, "satisfaction"),
        ("callback", "replied", {"satisfaction": "satisfied"}, "resolved"),
        ("callback", "replied", {"satisfaction": "satisfied", "resolved": 1}, "resolved"),
        ("merge", "new", {}, "into"),
        ("urge", "dispatched", {"note": ""}, "note"),
        ("supervise", "dispatched", {}, "note"),
        ("note", "dispatched", {"note": "x\x00"}, "note"),
        ("answer", "new", {"article_id": 0}, "article_id"),
        ("answer", "new", {"article_id": "7"}, "article_id"),
        ("submit", "new", {"note": 5}, "note"),
    ],
)
def test_bad_action_body_is_refused_and_changes_nothing(world, app, action, state, body, field):
    number = world.ticket(state)
    actor = {
        "dispatch": "dispatcher",
        "return": "staff_a",
        "reply": "staff_a",
        "request-extension": "staff_a",
        "decide-extension": "supervisor",
        "callback": "operator",
        "merge": "operator",
        "urge": "supervisor",
        "supervise": "supervisor",
        "note": "operator",
        "answer": "operator",
        "submit": "operator",
    }[action]
    client = world.client(actor)
    before = client.get(f"/api/v1/tickets/{number}").json
    r = client.post(f"/api/v1/tickets/{number}/{action}", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["field"] == field
    after = client.get(f"/api/v1/tickets/{number}").json
    assert after == before


def test_action_with_malformed_json_is_400_and_changes_nothing(world):
    number = world.ticket("accepted")
    client = world.client("staff_a")
    before = client.get(f"/api/v1/tickets/{number}").json
    r = client.post(
        f"/api/v1/tickets/{number}/reply", data=b'{"content": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_json"
    assert client.get(f"/api/v1/tickets/{number}").json == before


def test_accept_and_submit_take_an_empty_body(world):
    number = world.ticket("new")
    r = world.client("operator").post(f"/api/v1/tickets/{number}/submit")
    assert r.status_code == 200 and r.json["status"] == "pending_dispatch"


def test_caller_lookup_with_invalid_phone_is_422(world):
    r = world.client("operator").post("/api/v1/callers/lookup", json={"phone": "not-a-phone"})
    assert r.status_code == 422 and r.json["error"]["field"] == "phone"


def test_caller_lookup_of_a_new_number_is_empty(world):
    r = world.client("operator").post("/api/v1/callers/lookup", json={"phone": "13999999999"})
    assert r.status_code == 200 and r.json == {"caller": None, "items": [], "total": 0}


def test_a_local_landline_is_completed_with_the_configured_area_code(world, app):
    body = {**NEW_TICKET, "caller_phone": "8123 4567"}
    assert world.client("operator").post("/api/v1/tickets", json=body).status_code == 422
    app.config["AREA_CODE"] = "0757"
    r = world.client("operator").post("/api/v1/tickets", json=body)
    assert r.status_code == 201 and r.json["caller_phone"] == "075781234567"
