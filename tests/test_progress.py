"""办理进度查询 (hotline/citizens): a ticket's progress from its number and the caller's last
four digits; nothing personal; the same "not found" for every wrong pair; rate-limited."""

import pytest
from sqlalchemy import func, select

from hotline.core.ratelimit import RateLimitWindow
from hotline.extensions import db

PHONE = "13912345678"


def _lookup(client, number, last4, **env):
    return client.post("/api/v1/progress", json={"number": number, "phone_last4": last4}, environ_base=env)


def test_progress_of_a_replied_ticket_shows_the_steps_the_unit_and_the_reply_masked(world, app):
    number = world.ticket("replied", lead="DEPT-A", phone=PHONE, content="家门口路灯坏了，请联系我 13912345678")
    with app.app_context():
        ticket = world.get(number)
        from hotline.tickets.models import Reply

        reply = db.session.scalar(select(Reply).where(Reply.ticket_id == ticket.id))
        reply.content = "已修复路灯。如有问题请联系维修班 13800001111。"
        db.session.commit()
        unit_name = ticket.lead_unit.name
    r = _lookup(app.test_client(), number, "5678")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["number"] == number and body["stage"] == "承办单位已答复，等待回访"
    assert body["unit"] == unit_name
    assert [s["label"] for s in body["steps"]][:2] == ["来电受理", "转交承办单位"]
    assert "承办单位答复" in [s["label"] for s in body["steps"]]
    assert body["reply"] == "已修复路灯。如有问题请联系维修班 138****1111。"
    text = r.get_data(as_text=True)
    for personal in (PHONE, '5678"', "caller", "家门口路灯坏了"):  # no number, no name, not even the content
        assert personal not in text


def test_a_ticket_not_yet_replied_shows_no_reply_and_its_deadline(world, app):
    number = world.ticket("accepted", lead="DEPT-A", phone=PHONE)
    body = _lookup(app.test_client(), number, "5678").get_json()
    assert body["stage"] == "承办单位办理中" and body["reply"] is None and body["reply_due_at"]


@pytest.mark.parametrize("case", ["wrong_last4", "unknown_number"])
def test_a_wrong_pair_says_only_not_found(world, app, case):
    number = world.ticket("accepted", lead="DEPT-A", phone=PHONE)
    r = _lookup(app.test_client(), number if case == "wrong_last4" else "20991231-000001", "1234")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"
    assert r.get_json()["error"]["message_zh"] == "未找到该工单，请核对工单编号和来电号码后四位。"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"number": "x' OR 1=1", "phone_last4": "1234"},
        {"number": "20261121-000001", "phone_last4": "12a4"},
        {"number": "20261121-000001", "phone_last4": "12345"},
        {"number": 1, "phone_last4": "1234"},
    ],
)
def test_bad_input_is_a_422_and_counts_nothing(world, app, body):
    r = app.test_client().post("/api/v1/progress", json=body)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "validation_error"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimitWindow)) == 0


def test_guessing_the_four_digits_is_stopped_per_ticket_number_across_addresses(world, app):
    number = world.ticket("accepted", lead="DEPT-A", phone=PHONE)
    client = app.test_client()
    statuses = [_lookup(client, number, f"{i:04d}", REMOTE_ADDR=f"10.0.{i}.1").status_code for i in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]
    r = _lookup(client, number, "5678", REMOTE_ADDR="10.9.9.9")  # even the right pair waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_one_address_is_limited_across_ticket_numbers(world, app):
    client = app.test_client()
    statuses = [_lookup(client, f"20261121-{i:06d}", "0000", REMOTE_ADDR="10.1.1.1").status_code for i in range(11)]
    assert statuses == [404] * 10 + [429]


def test_the_public_page_shows_the_progress_in_chinese(world, app):
    number = world.ticket("accepted", lead="DEPT-A", phone=PHONE)
    client = app.test_client()
    page = client.get(f"/progress?number={number}").get_data(as_text=True)
    assert "办理进度查询" in page and number in page
    r = client.post("/progress", data={"number": number, "phone_last4": "5678"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "承办单位办理中" in html and "答复期限" in html and PHONE not in html
    r = client.post("/progress", data={"number": number, "phone_last4": "9999"})
    assert r.status_code == 404 and "未找到该工单" in r.get_data(as_text=True)
    r = client.post("/progress", data={"number": number, "phone_last4": "99"})
    assert r.status_code == 400 and "来电号码后四位：格式不正确" in r.get_data(as_text=True)


def test_with_redis_the_counters_live_in_redis(world, make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    number = world.ticket("accepted", lead="DEPT-A", phone=PHONE)
    statuses = [_lookup(app.test_client(), number, "0000", REMOTE_ADDR=f"10.2.{i}.1").status_code for i in range(11)]
    assert statuses[-1] == 429
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RateLimitWindow)) == 0
