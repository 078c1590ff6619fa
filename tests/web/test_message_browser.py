"""网上留言 in a real browser: a refused form keeps what was typed and says why per field;
the code comes by SMS (the outbox), the photo goes with the request, the number is shown.
Then the ticket as the operators read it (triage queue, list thumbnail, the ticket's photos).
Screenshots: message-errors.png, message.png, message-done.png, queue-operator-triage.png,
ticket-attachments.png."""

import re

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.notifications.models import Notification
from tests.attachments.images import jpeg_with_location

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _shot(page, name, **kw):
    shot(page, name, **kw)


def test_a_citizen_writes_in_and_the_operator_reads_it_with_its_photo(page, live_server, world, app, sign_in):
    app.config["WEB_FORM_MIN_SECONDS"] = 0  # the tests' clock is frozen
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/message")
    page.select_option("#m-type", "complaint")
    page.select_option("#m-area", "D1")
    page.fill("#m-address", "幸福路 12 号门前")
    page.fill("#m-name", "林女士")
    page.click("button.primary")  # without content, phone or code
    page.wait_for_selector(".field-error")
    errors = page.locator(".field-error").all_inner_texts()
    assert any("请填写诉求内容" in e for e in errors) and any("手机号码" in e for e in errors)
    assert page.input_value("#m-address") == "幸福路 12 号门前" and page.input_value("#m-name") == "林女士"
    _shot(page, "message-errors.png", full_page=True)

    page.fill("#m-content", "幸福路 12 号门前路面塌陷约一平方米，夜间无警示，已有电动车摔倒，请尽快修复。")
    page.fill("#m-mobile", "13711112222")
    page.click("text=获取验证码")
    page.wait_for_selector("text=验证码已发送至手机 137****2222")
    with app.app_context():
        body = db.session.scalar(
            select(Notification.body).where(Notification.template_code == "citizen_verification_code")
        )
    code = re.search(r"验证码为(\d{6})", body).group(1)
    page.fill("#m-code", code)
    page.set_input_files(
        "#m-photos", files=[{"name": "路面塌陷.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_location()}]
    )
    _shot(page, "message.png", full_page=True)
    page.click("button.primary")
    page.wait_for_selector("#ticket-number")
    number = page.inner_text("#ticket-number")
    assert re.fullmatch(r"\d{8}-\d{6}", number) and "1 张照片已一并提交" in page.inner_text("main")
    _shot(page, "message-done.png")

    sign_in("operator")
    page.goto(f"{live_server}/queues/online")
    assert number in page.inner_text("#queue")
    assert page.locator("#queue img.thumb").count() == 1
    _shot(page, "queue-operator-triage.png")
    page.goto(f"{live_server}/tickets/{number}")
    page.locator("#attachments").scroll_into_view_if_needed()
    assert "已去除位置信息" in page.inner_text("#attachments")
    assert page.locator("#attachments img.thumb").evaluate("img => img.naturalWidth") > 0  # the thumbnail loads
    _shot(page, "ticket-attachments.png")
