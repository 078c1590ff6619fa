"""网上留言 (hotline/citizens/webform.py): the public web form end to end, its refusals (per
field, in Chinese, what was typed kept, nothing stored), the one-time code (wrong, expired,
too many tries), the guards against automated abuse, and nothing personal on public pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.attachments.models import Attachment
from hotline.citizens.models import PhoneVerification
from hotline.extensions import db
from hotline.notifications.models import Notification
from hotline.tickets.models import Ticket

from .attachments.images import jpeg_with_location
from .conftest import FROZEN_NOW

MOBILE = "13711112222"
NAME = "林晓梅"
FIELDS = {
    "request_type": "complaint",
    "category": "",
    "area": "D1",
    "address": "幸福路 12 号门前",
    "content": "幸福路 12 号门前路面塌陷，已有电动车摔倒，请尽快处理。",
    "citizen_name": NAME,
    "mobile": MOBILE,
}


class Citizen:
    """A browser-less citizen: the form's hidden fields carried from page to page; the clock moved."""

    def __init__(self, app, address="203.0.113.7"):
        self.app = app
        self.client = app.test_client()
        self.env = {"REMOTE_ADDR": address}
        self.at = FROZEN_NOW
        self.hidden: dict[str, str] = {}

    def wait(self, seconds: float):
        self.at += timedelta(seconds=seconds)
        at = self.at
        self.app.config["CLOCK"] = lambda: at

    def _keep(self, r):
        html = r.get_data(as_text=True)
        for name in ("form_token", "verification"):
            found = re.search(rf'name="{name}" value="([^"]*)"', html)
            if found:
                self.hidden[name] = found.group(1)
        return r

    def open_form(self):
        r = self._keep(self.client.get("/message", environ_base=self.env))
        self.wait(20)  # a person takes time to fill it in
        return r

    def ask_code(self, **fields):
        data = {**FIELDS, **self.hidden, **fields}
        return self._keep(self.client.post("/message/code", data=data, environ_base=self.env))

    def submit(self, code, photos=(), **fields):
        data = {**FIELDS, **self.hidden, "sms_code": code, **fields}
        if photos:
            data["photos"] = [(io.BytesIO(content), name) for content, name in photos]
        return self._keep(self.client.post("/message", data=data, environ_base=self.env))


def _last_code(app) -> str:
    with app.app_context():
        body = db.session.scalar(
            select(Notification.body)
            .where(Notification.template_code == "citizen_verification_code")
            .order_by(Notification.id.desc())
        )
    return re.search(r"验证码为(\d{6})", body).group(1)


def _tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def _signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def test_a_citizen_writes_in_confirms_the_phone_and_gets_the_number_on_the_page_and_by_sms(world, app):
    citizen = Citizen(app)
    page = citizen.open_form().get_data(as_text=True)
    assert "网上留言" in page and 'name="website"' in page and "/progress" in page
    r = citizen.ask_code()
    assert r.status_code == 200 and "验证码已发送至手机 137****2222" in r.get_data(as_text=True)
    code = _last_code(app)
    with app.app_context():
        sms = db.session.scalar(select(Notification).where(Notification.template_code == "citizen_verification_code"))
        assert sms.address == MOBILE and sms.status in ("recorded", "pending") and sms.channel == "outbox"
        stored = db.session.scalar(select(PhoneVerification))
        assert MOBILE not in (stored.phone_hash + stored.code_hash) and code not in stored.code_hash
    before = _tickets(app)
    photo = jpeg_with_location()
    r = citizen.submit(code, photos=[(photo, "塌陷.jpg")])
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    done = r.get_data(as_text=True)
    number = re.search(r'id="ticket-number">([0-9-]+)<', done).group(1)
    assert "留言已提交" in done and "1 张照片已一并提交" in done
    assert MOBILE not in done and NAME not in done and "幸福路" not in done  # nothing personal on the page
    assert _tickets(app) == before + 1
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        assert (ticket.channel, ticket.status, ticket.caller.phone, ticket.caller_name) == ("web", "new", MOBILE, NAME)
        assert ticket.category.code == "MISC" and ticket.area_unit.code == "D1"  # no category chosen: 其他
        creator = db.session.get(User, ticket.created_by_id)
        assert creator.username == "channel-web" and not creator.is_active
        photo_row = db.session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
        assert photo_row.source == "web_form" and photo_row.had_location
        confirmation = db.session.scalar(
            select(Notification).where(
                Notification.ticket_id == ticket.id, Notification.template_code == "citizen_confirmation"
            )
        )
        assert number in confirmation.body and confirmation.address == MOBILE
        assert db.session.scalar(select(PhoneVerification)).used_at is not None
    # The same code cannot confirm a second request.
    citizen.wait(5)
    again = citizen.submit(code)
    assert again.status_code == 422 and "该验证码已使用" in again.get_data(as_text=True)
    assert _tickets(app) == before + 1

    # The operators' triage: read it, then submit it for dispatch; the citizen is not told twice.
    operator = _signed_in(app, "operator")
    assert number in operator.get("/queues/online").get_data(as_text=True)
    assert number not in operator.get("/queues/mine").get_data(as_text=True)
    assert operator.post(f"/tickets/{number}/submit", data={}).status_code == 303
    assert number not in operator.get("/queues/online").get_data(as_text=True)
    with app.app_context():
        sent = db.session.scalar(
            select(func.count()).where(
                Notification.ticket_id == ticket.id, Notification.template_code == "citizen_confirmation"
            )
        )
        assert sent == 1
    # The progress lookup finds it with the number and the last four digits.
    progress = app.test_client().post("/api/v1/progress", json={"number": number, "phone_last4": "2222"})
    assert progress.status_code == 200


def test_bad_input_is_refused_per_field_keeps_what_was_typed_and_stores_nothing(world, app):
    citizen = Citizen(app)
    citizen.open_form()
    before = _tickets(app)
    r = citizen.submit("12", content="", area="", mobile="12345", citizen_name="", photos=[(b"x", "a.jpg")])
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    expected = ("请填写诉求内容", "请选择问题所在的区域", "请填写正确的 11 位手机号码", "请填写姓名", "6 位数字验证码")
    for message in expected:
        assert message in html, message
    assert "幸福路 12 号门前" in html and "请重新选择照片" in html  # typed text kept, photos not
    assert _tickets(app) == before

    # A code first; then a disguised file, an oversize photo: refused, nothing stored, the code still good.
    assert citizen.ask_code().status_code == 200
    code = _last_code(app)
    not_a_photo = (b"MZ\x90\x00" + b"\x00" * 500, "照片.jpg")
    r = citizen.submit(code, photos=[not_a_photo])
    assert r.status_code == 422 and "照片.jpg：只接受 JPEG、PNG、WebP 图片或 PDF 文件" in r.get_data(as_text=True)
    app.config["ATTACHMENT_MAX_BYTES"] = 20_000
    r = citizen.submit(code, photos=[(jpeg_with_location(size=(1600, 1200)), "大图.jpg")])
    assert r.status_code == 422 and "大图.jpg：文件过大" in r.get_data(as_text=True)
    r = citizen.submit(code, photos=[(jpeg_with_location((50, 50)), f"{i}.jpg") for i in range(4)])
    assert r.status_code == 422 and "最多上传 3 张照片" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert _tickets(app) == before
    assert citizen.submit(code).status_code == 200  # the code was not spent by the refusals
    assert _tickets(app) == before + 1


def test_the_code_expires_allows_five_wrong_tries_and_belongs_to_its_phone(world, app):
    citizen = Citizen(app)
    citizen.open_form()
    citizen.ask_code()
    code = _last_code(app)
    wrong = "000000" if code != "000000" else "111111"
    r = citizen.submit(code, mobile="13700001111")
    assert r.status_code == 422 and "请先获取短信验证码" in r.get_data(as_text=True)
    for left in (4, 3, 2, 1):
        r = citizen.submit(wrong)
        assert r.status_code == 422 and f"验证码不正确，还可尝试 {left} 次" in r.get_data(as_text=True)
    r = citizen.submit(wrong)
    assert "验证码错误次数过多" in r.get_data(as_text=True)
    r = citizen.submit(code)  # even the right code, now
    assert r.status_code == 422 and "验证码错误次数过多" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PhoneVerification.attempts)) == 5

    citizen.wait(60)
    assert citizen.ask_code().status_code == 200
    code = _last_code(app)
    citizen.wait(11 * 60)  # past the ten minutes
    r = citizen.submit(code)
    assert r.status_code == 422 and "验证码已过期" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Ticket.channel == "web")) == 0


def test_automated_abuse_is_refused_without_any_outside_service(world, app):
    citizen = Citizen(app)
    citizen.client.get("/message", environ_base=citizen.env)
    html = citizen.client.get("/message", environ_base=citizen.env).get_data(as_text=True)
    citizen.hidden["form_token"] = re.search(r'name="form_token" value="([^"]*)"', html).group(1)
    # Sent at once: faster than a person.
    r = citizen.ask_code()
    assert r.status_code == 422 and "提交过快" in r.get_data(as_text=True)
    citizen.wait(20)
    r = citizen.ask_code(website="http://spam.example")  # the honeypot
    assert r.status_code == 422 and "提交未通过校验" in r.get_data(as_text=True)
    r = citizen.ask_code(form_token="forged.token")
    assert r.status_code == 422 and "表单已失效" in r.get_data(as_text=True)
    citizen.wait(4 * 3600)
    r = citizen.ask_code()
    assert r.status_code == 422 and "页面已打开太久" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PhoneVerification)) == 0

    # Codes per phone: 3 in ten minutes, then 429 with Retry-After, whatever the address.
    citizen.open_form()
    for i in range(3):
        assert Citizen(app, address=f"198.51.100.{i}").ask_code(**citizen.hidden).status_code == 200
    r = citizen.ask_code()
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "获取验证码过于频繁" in r.get_data(as_text=True)
    # Codes per address: 10 an hour, whatever the phone.
    for i in range(9):  # the refused request above counted too: 10 in all
        assert citizen.ask_code(mobile=f"1391234{i:04d}").status_code == 200
    assert citizen.ask_code(mobile="13912349999").status_code == 429
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PhoneVerification)) == 12


def test_public_pages_show_nothing_personal(world, app):
    number = world.ticket("replied", lead="DEPT-A", phone="13912345678", content="张三反映 13912345678 楼下噪音")
    anonymous = app.test_client()
    for path in ("/message", "/progress", f"/progress?number={number}"):
        text = anonymous.get(path).get_data(as_text=True)
        assert "13912345678" not in text and "139****5678" not in text and "噪音" not in text, path
