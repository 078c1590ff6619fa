"""The ticket's whole life through the API, with the events it leaves behind."""

from datetime import timedelta

from hotline.core import clock
from hotline.tickets.models import Callback, ExtensionRequest, Reply

NEW_TICKET = {
    "caller_phone": "138 0013 8000",
    "caller_name": "张先生",
    "request_type": "complaint",
    "category": "SOC.PEN",
    "area": "D1-T1",
    "address": "东湖路1号",
    "content": "小区门口路灯坏了一个月，晚上出行很不安全。",
    "urgency": "normal",
    "channel": "phone",
}


def _post(client, number, action, body=None):
    return client.post(f"/api/v1/tickets/{number}/{action}", json=body if body is not None else {})


def test_create_returns_the_ticket_with_its_first_event(world):
    op = world.client("operator")
    r = op.post("/api/v1/tickets", json=NEW_TICKET)
    assert r.status_code == 201, r.json
    t = r.json
    assert t["number"] == "20261121-000001"
    assert t["status"] == "new"
    assert t["caller_phone"] == "13800138000"
    assert t["lead_unit"] is None and t["assist_units"] == []
    assert t["reply_due_at"] is None and t["reopen_count"] == 0
    assert t["category"] == "SOC.PEN" and t["area"] == "D1-T1"
    assert [e["action"] for e in t["events"]] == ["create"]
    assert t["events"][0]["actor"] == "operator" and t["events"][0]["to_status"] == "new"
    assert r.headers["Location"].endswith("/api/v1/tickets/20261121-000001")
    assert op.get(r.headers["Location"]).json["number"] == t["number"]


def test_full_life_dispatch_accept_reply_callback_close(world, app):
    op, disp, staff = world.client("operator"), world.client("dispatcher"), world.client("staff_a")
    number = op.post("/api/v1/tickets", json=NEW_TICKET).json["number"]

    assert _post(op, number, "submit").json["status"] == "pending_dispatch"
    r = _post(disp, number, "dispatch", {"lead_unit": "DEPT-A", "assist_units": ["DEPT-C"]})
    assert r.status_code == 200, r.json
    t = r.json
    assert t["status"] == "dispatched" and t["lead_unit"] == "DEPT-A" and t["assist_units"] == ["DEPT-C"]
    # 22 hours after dispatch, shown in Shanghai time.
    assert t["reply_due_at"] == clock.isoformat(clock.parse_iso(t["dispatched_at"]) + timedelta(hours=22))
    assert t["reply_due_at"].endswith("+08:00")

    assert _post(staff, number, "accept").json["status"] == "accepted"
    r = _post(staff, number, "reply", {"content": "已安排维修，路灯今日恢复。", "confirm_warnings": True})
    assert r.json["status"] == "replied" and r.json["replies"][0]["content"] == "已安排维修，路灯今日恢复。"
    r = _post(op, number, "callback", {"satisfaction": "satisfied", "resolved": True, "note": "满意"})
    assert r.json["status"] == "closed"
    assert r.json["callbacks"][0]["satisfaction"] == "satisfied"

    events = r.json["events"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("create", None, "new"),
        ("submit", "new", "pending_dispatch"),
        ("dispatch", "pending_dispatch", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("reply", "accepted", "replied"),
        ("callback", "replied", "closed"),
    ]
    assert [e["actor"] for e in events] == ["operator", "operator", "dispatcher", "staff_a", "staff_a", "operator"]
    assert events[3]["actor_unit"] == "DEPT-A" and events[3]["actor_role"] == "unit_staff"
    assert events[2]["data"]["lead_unit"] == "DEPT-A"
    assert all(e["at"].endswith("+08:00") for e in events)


def test_dissatisfied_callback_reopens_to_the_same_unit_with_a_new_deadline(world, app):
    number = world.ticket("replied", assists=["DEPT-C"])
    with app.app_context():
        later = clock.now() + timedelta(hours=30)
    app.config["CLOCK"] = lambda: later
    r = _post(
        world.client("operator"),
        number,
        "callback",
        {"satisfaction": "dissatisfied", "resolved": False, "note": "问题没有解决"},
    )
    assert r.status_code == 200, r.json
    t = r.json
    assert t["status"] == "dispatched" and t["lead_unit"] == "DEPT-A" and t["assist_units"] == ["DEPT-C"]
    assert t["reopen_count"] == 1
    assert t["reply_due_at"] == clock.isoformat(later + timedelta(hours=22))
    assert t["events"][-1]["action"] == "reopen"
    assert t["events"][-1]["data"]["satisfaction"] == "dissatisfied"
    # The unit must accept again; its earlier reply and the callback are kept.
    assert t["accepted_at"] is None
    with app.app_context():
        assert Reply.query.count() == 1 and Callback.query.one().satisfaction == "dissatisfied"
    assert _post(world.client("staff_a"), number, "accept").json["status"] == "accepted"


def test_basically_satisfied_closes(world):
    number = world.ticket("replied")
    r = _post(world.client("operator"), number, "callback", {"satisfaction": "basically_satisfied", "resolved": False})
    assert r.json["status"] == "closed" and r.json["closed_at"]


def test_return_then_redispatch_to_another_unit(world):
    number = world.ticket("accepted", assists=["DEPT-C"])
    r = _post(world.client("staff_a"), number, "return", {"reason": "不属于我局职责，应由市场监管局处理"})
    assert r.status_code == 200, r.json
    t = r.json
    assert (
        t["status"] == "returned" and t["lead_unit"] is None and t["assist_units"] == [] and t["reply_due_at"] is None
    )
    assert t["events"][-1]["note"] == "不属于我局职责，应由市场监管局处理"
    assert t["events"][-1]["data"]["lead_unit"] == "DEPT-A"
    # The returning unit no longer sees it.
    assert world.client("staff_a").get(f"/api/v1/tickets/{number}").status_code == 404
    r = _post(world.client("dispatcher"), number, "dispatch", {"lead_unit": "DEPT-B"})
    assert r.json["status"] == "dispatched" and r.json["lead_unit"] == "DEPT-B"
    assert world.client("staff_b").get(f"/api/v1/tickets/{number}").status_code == 200


def test_dispatch_uses_the_category_default_lead_unit(world):
    number = world.ticket("pending_dispatch", category="SOC.PEN")
    r = _post(world.client("operator"), number, "dispatch", {})
    assert r.status_code == 200 and r.json["lead_unit"] == "DEPT-A"


def test_dispatch_without_lead_unit_and_no_default_is_refused(world, app):
    number = world.ticket("pending_dispatch", category="MISC")
    r = _post(world.client("dispatcher"), number, "dispatch", {})
    assert r.status_code == 422 and r.json["error"]["field"] == "lead_unit"
    with app.app_context():
        assert world.get(number).status == "pending_dispatch"


def test_extension_request_approved_moves_the_deadline(world):
    number = world.ticket("accepted")
    staff, sup = world.client("staff_a"), world.client("supervisor")
    before = staff.get(f"/api/v1/tickets/{number}").json["reply_due_at"]
    r = _post(staff, number, "request-extension", {"hours": 48, "reason": "需要协调多个部门"})
    assert r.status_code == 200, r.json
    assert r.json["extension_requests"][0]["status"] == "pending"
    # A second request while one is pending is refused.
    r2 = _post(staff, number, "request-extension", {"hours": 4, "reason": "再延"})
    assert r2.status_code == 409 and r2.json["error"]["code"] == "extension_pending"
    r = _post(sup, number, "decide-extension", {"approve": True, "note": "同意"})
    assert r.status_code == 200, r.json
    after = r.json["reply_due_at"]
    assert clock.parse_iso(after) - clock.parse_iso(before) == timedelta(hours=48)
    assert r.json["extension_requests"][0]["status"] == "approved"
    assert r.json["events"][-1]["action"] == "decide-extension" and r.json["events"][-1]["data"]["approve"] is True
    # Nothing left to decide.
    r = _post(sup, number, "decide-extension", {"approve": True})
    assert r.status_code == 409 and r.json["error"]["code"] == "no_pending_extension"


def test_extension_refused_keeps_the_deadline(world):
    number = world.ticket("extension_pending")
    before = world.client("staff_a").get(f"/api/v1/tickets/{number}").json["reply_due_at"]
    r = _post(world.client("supervisor"), number, "decide-extension", {"approve": False, "note": "理由不充分"})
    assert r.json["reply_due_at"] == before
    assert r.json["extension_requests"][0]["status"] == "refused"


def test_reply_withdraws_a_pending_extension(world, app):
    number = world.ticket("extension_pending")
    _post(world.client("staff_a"), number, "reply", {"content": "已办结", "confirm_warnings": True})
    with app.app_context():
        assert ExtensionRequest.query.one().status == "withdrawn"


def test_answer_on_call_closes_with_the_answer(world):
    number = world.ticket("new")
    r = _post(world.client("operator"), number, "answer", {"answer": "社保卡补办可在银行网点办理。"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "closed" and r.json["answer_text"] == "社保卡补办可在银行网点办理。"
    article_id = world.article(status="published")
    r = _post(world.client("operator"), world.ticket("new"), "answer", {"article_id": article_id})
    assert r.status_code == 200, r.json
    assert r.json["answer_article_id"] == article_id and r.json["events"][-1]["data"]["article_id"] == article_id


def test_answer_with_an_article_needs_a_published_one(world):
    draft = world.article(status="draft")
    retired = world.article(status="retired")
    for article_id in (draft, retired, 999999):
        number = world.ticket("new")
        r = _post(world.client("operator"), number, "answer", {"article_id": article_id})
        assert r.status_code == 422 and r.json["error"]["field"] == "article_id", r.json
        assert world.client("operator").get(f"/api/v1/tickets/{number}").json["status"] == "new"


def test_answer_needs_an_article_or_an_answer(world):
    number = world.ticket("new")
    r = _post(world.client("operator"), number, "answer", {})
    assert r.status_code == 422 and r.json["error"]["field"] == "answer"


def test_merge_links_the_duplicate(world):
    first = world.ticket("dispatched")
    dup = world.ticket("new")
    r = _post(world.client("operator"), dup, "merge", {"into": first})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "merged" and r.json["duplicate_of"] == first and r.json["merged_at"]
    assert world.client("operator").get(f"/api/v1/tickets/{first}").json["duplicates"] == [dup]
    # Nothing can be merged into a merged ticket, nor into itself.
    third = world.ticket("new")
    r = _post(world.client("operator"), third, "merge", {"into": dup})
    assert r.status_code == 409 and r.json["error"]["code"] == "target_merged"
    r = _post(world.client("operator"), third, "merge", {"into": third})
    assert r.status_code == 422 and r.json["error"]["field"] == "into"
    r = _post(world.client("operator"), third, "merge", {"into": "20990101-000001"})
    assert r.status_code == 422 and r.json["error"]["field"] == "into"


def test_urge_supervise_and_notes_are_recorded_without_moving(world):
    number = world.ticket("accepted", assists=["DEPT-C"])
    sup = world.client("supervisor")
    assert _post(sup, number, "urge", {"note": "请加快办理"}).json["status"] == "accepted"
    assert _post(sup, number, "supervise", {"note": "督办：明日前答复"}).json["status"] == "accepted"
    r = _post(world.client("staff_c"), number, "note", {"note": "协办单位已配合现场核查"})
    assert r.status_code == 200, r.json
    actions = [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in r.json["events"][-3:]]
    assert actions == [
        ("urge", "accepted", "accepted", "supervisor"),
        ("supervise", "accepted", "accepted", "supervisor"),
        ("note", "accepted", "accepted", "staff_c"),
    ]


def test_assisting_unit_may_note_but_not_move(world):
    number = world.ticket("dispatched", assists=["DEPT-C"])
    for action, body in [("accept", {}), ("reply", {"content": "x"}), ("return", {"reason": "x"})]:
        r = _post(world.client("staff_c"), number, action, body)
        assert r.status_code == 403, (action, r.json)


def test_a_note_can_follow_a_closed_ticket_but_nothing_else(world):
    number = world.ticket("closed")
    assert _post(world.client("operator"), number, "note", {"note": "来电人再次来电致谢"}).status_code == 200
    r = _post(world.client("supervisor"), number, "urge", {"note": "x"})
    assert r.status_code == 409 and r.json["error"]["code"] == "invalid_transition"
    assert "已办结" in r.json["error"]["message_zh"]


def test_unknown_action_is_404(world):
    number = world.ticket("new")
    r = _post(world.client("operator"), number, "explode")
    assert r.status_code == 404 and r.json["error"]["code"] == "unknown_action"
    assert r.json["error"]["field"] == "action"
    r = _post(world.client("operator"), number, "reopen")
    assert r.status_code == 404 and r.json["error"]["code"] == "unknown_action"


def test_allowed_actions_follow_role_and_state(world):
    number = world.ticket("dispatched", assists=["DEPT-C"])
    assert set(world.client("staff_a").get(f"/api/v1/tickets/{number}").json["allowed_actions"]) == {
        "accept",
        "return",
        "note",
    }
    assert set(world.client("staff_c").get(f"/api/v1/tickets/{number}").json["allowed_actions"]) == {"note"}
    assert set(world.client("supervisor").get(f"/api/v1/tickets/{number}").json["allowed_actions"]) == {
        "urge",
        "supervise",
        "note",
    }
    assert set(world.client("operator").get(f"/api/v1/tickets/{number}").json["allowed_actions"]) == {"merge", "note"}
