"""The intake form without a browser: a refused form keeps every word, the messages name
fields in Chinese, an expired page goes back to the form, and a repeat caller's call can
be added to the open ticket or merged into it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.any_database

FORM = {
    "caller_phone": "13800138000",
    "caller_name": "李女士",
    "request_type": "consultation",
    "category": "SOC.PEN",
    "urgency": "normal",
    "channel": "phone",
    "area": "",
    "address": "东湖路8号",
    "content": "退休手续在哪里办？",
}


def _signed_in(app, username="operator"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def _count(app, model=Ticket) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_refused_answer_keeps_the_answer_text_and_the_chosen_article(app, world):
    article_id = world.article(title="退休手续办理指南")
    form = {**FORM, "category": "", "intent": "answer", "answer": "可到区人社局办理。", "article_id": str(article_id)}
    r = _signed_in(app).post("/tickets/new", data=form)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "分类：不能为空" in page  # the field's label, not its code
    assert "category：" not in page
    assert "可到区人社局办理。</textarea>" in page
    assert f'name="article_id" value="{article_id}"' in page
    assert "已引用知识条目：退休手续办理指南" in page
    assert 'value="东湖路8号"' in page and "退休手续在哪里办？</textarea>" in page
    assert _count(app) == 0


def test_a_wrong_phone_number_says_which_formats_are_taken(app, world):
    r = _signed_in(app).post("/tickets/new", data={**FORM, "caller_phone": "12345", "intent": "save"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "来电号码：号码格式不正确：手机 11 位，固话带区号" in page
    assert "caller_phone：" not in page
    assert "0757-83031234" in page  # the hint under the field
    assert _count(app) == 0


def test_enter_presses_submit_for_dispatch_not_the_direct_answer(app, world):
    """Without the script, Enter in a field presses the form's first button."""
    page = _signed_in(app).get("/tickets/new").get_data(as_text=True)
    buttons = page[page.index('<div class="actions">') :]
    assert buttons.index('value="submit"') < buttons.index('value="answer"')
    assert "快捷键" in page and "Alt" in page


def test_the_categories_are_grouped_under_their_parents(app, world):
    page = _signed_in(app).get("/tickets/new").get_data(as_text=True)
    assert '<optgroup label="社会保障">' in page
    assert 'data-search="社会保障 / 养老保险"' in page


def test_an_expired_page_goes_back_to_the_form(app, world):
    client = _signed_in(app)
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post(
        "/tickets/new",
        data={**FORM, "intent": "submit", "csrf_token": "expired"},
        headers={"Referer": "http://localhost/tickets/new"},
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("/tickets/new")
    page = client.get("/tickets/new").get_data(as_text=True)
    assert "页面已过期（登录超时或页面打开过久）" in page
    assert _count(app) == 0
    # A foreign referrer is never followed.
    r = client.post("/tickets/new", data={**FORM, "csrf_token": "x"}, headers={"Referer": "http://evil.example/x"})
    assert r.status_code == 400


def test_history_flags_a_repeat_caller_with_an_open_ticket_of_the_last_30_days(app, world):
    open_recent = world.ticket("dispatched", phone="13912345678")
    world.ticket("closed", phone="13912345678")
    old = world.ticket("pending_dispatch", phone="13912345678")
    with app.app_context():
        db.session.execute(
            update(Ticket).where(Ticket.number == old).values(created_at=clock.now() - timedelta(days=31))
        )
        db.session.commit()
    data = _signed_in(app).post("/ui/callers/lookup", json={"phone": "13912345678"}).json
    assert [t["number"] for t in data["repeat"]] == [open_recent]
    assert data["repeat"][0]["status_label"] == "已派单"
    assert _signed_in(app).post("/ui/callers/lookup", json={"phone": "15000000000"}).json["items"] == []


def test_a_repeat_call_is_added_to_the_open_ticket_as_a_note(app, world):
    number = world.ticket("dispatched", phone="13800138000")
    before = _count(app)
    r = _signed_in(app).post("/tickets/new", data={**FORM, "content": "又来电催问进度", "intent": f"note:{number}"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/tickets/{number}")
    assert _count(app) == before  # no new ticket
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        notes = db.session.scalars(
            select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "note")
        ).all()
    assert notes == ["来电补充：又来电催问进度"]


def test_a_repeat_call_is_recorded_and_merged_into_the_open_ticket(app, world):
    number = world.ticket("dispatched", phone="13800138000")
    before = _count(app)
    r = _signed_in(app).post("/tickets/new", data={**FORM, "intent": f"merge:{number}"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/tickets/{number}")
    with app.app_context():
        new = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()))
        assert new.status == "merged" and new.duplicate_of.number == number
    assert _count(app) == before + 1


@pytest.mark.parametrize("intent", ["note", "merge", "note:", "dance", "note:NOPE"])
def test_a_wrong_intent_changes_nothing(app, world, intent):
    before = _count(app), _count(app, TicketEvent)
    r = _signed_in(app).post("/tickets/new", data={**FORM, "intent": intent})
    assert r.status_code in (404, 422)
    assert (_count(app), _count(app, TicketEvent)) == before
    assert "退休手续在哪里办？</textarea>" in r.get_data(as_text=True)  # the form comes back as typed


def test_another_units_staff_cannot_use_the_intake_form(app, world):
    number = world.ticket("dispatched", phone="13800138000")
    before = _count(app, TicketEvent)
    for user in ("staff_a", "staff_b", "dispatcher", "supervisor", "kb_editor", "admin"):
        r = _signed_in(app, user).post("/tickets/new", data={**FORM, "intent": f"note:{number}"})
        assert r.status_code == 403, user
    assert _count(app, TicketEvent) == before
