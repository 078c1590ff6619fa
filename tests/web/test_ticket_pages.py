"""The ticket pages in a real browser: intake, dispatch, unit work, callback."""

import re

import pytest

from hotline.tickets.models import Ticket

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _status(page):
    return page.locator(".ticket-head .badge").first.inner_text()


def test_operator_records_a_call_and_submits_it(sign_in, page, live_server, world, app):
    world.ticket("closed", phone="13912345678", content="上次反映的路灯问题")
    sign_in("operator")
    page.click("text=登记来电")
    page.fill("#caller_phone", "139 1234 5678")
    page.wait_for_selector("#caller-history ul.history li")
    assert "上次反映的路灯问题" in page.locator("#caller-history").inner_text()
    page.fill("#caller_name", "李女士")
    page.select_option("#request_type", "complaint")
    page.select_option("#category", "SOC.PEN")
    page.select_option("#area", "D1-T1")
    page.fill("#address", "东湖路8号")
    page.fill("#content", "养老金这个月没有按时发放，打电话问社保局也没人接。")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/tickets/20261121-\d{6}$", page.url)
    assert _status(page) == "待派单"
    assert "已登记并提交派单" in page.locator(".flash").inner_text()
    assert "13912345678" in page.locator("#caller-phone").inner_text()


def test_intake_with_missing_content_shows_the_field_error_and_saves_nothing(sign_in, page, world, app):
    sign_in("operator")
    page.click("text=登记来电")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "MISC")
    response_status = []
    # The form's own POSTs (the caller's history, a POST too, is not one of them).
    page.on(
        "response",
        lambda r: response_status.append(r.status) if r.request.method == "POST" and "/ui/" not in r.url else None,
    )
    page.click("button[value=save]")
    page.wait_for_load_state("networkidle")
    assert response_status == [422]
    assert page.locator(".field-error[data-field=content]").inner_text() == "不能为空"
    assert page.input_value("#caller_phone") == "13800138000"  # what was typed is kept
    page.fill("#caller_phone", "12345")
    page.fill("#content", "有内容了")
    page.click("button[value=save]")
    page.wait_for_load_state("networkidle")
    assert (
        "电话" in page.locator(".flash-error").inner_text()
        or page.locator(".field-error[data-field=caller_phone]").count() == 1
    )
    with app.app_context():
        assert Ticket.query.count() == 0


def test_operator_answers_on_the_call(sign_in, page, world):
    sign_in("operator")
    page.click("text=登记来电")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#request_type", "consultation")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "退休手续在哪里办？")
    page.fill("#answer", "可到区人社局服务大厅或通过网上办事大厅办理。")
    page.click("button[value=answer]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "已办结"
    assert "网上办事大厅" in page.locator(".facts").first.inner_text()


def test_dispatch_accept_reply_callback_reopen(sign_in, page, live_server, world, browser):
    number = world.ticket("pending_dispatch", phone="13812341234")
    sign_in("dispatcher")
    page.goto(f"{live_server}/tickets/{number}")
    page.select_option("#lead_unit", "DEPT-A")
    page.select_option("#assist_units", ["DEPT-C"])
    page.click("#action-dispatch button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "已派单"
    assert "2026-11-22 08:" in page.locator(".facts").nth(1).inner_text()  # 22 h after dispatch

    # The lead unit: masked phone, accept, reply.
    unit = browser.new_context(locale="zh-CN").new_page()
    unit.goto(f"{live_server}/login")
    unit.fill("#username", "staff_a")
    unit.fill("#password", "password-123")
    unit.click("button[type=submit]")
    unit.goto(f"{live_server}/tickets/{number}")
    assert unit.locator("#caller-phone").inner_text() == "138****1234"
    assert "13812341234" not in unit.content()
    unit.click("#action-accept button[type=submit]")
    unit.wait_for_load_state("networkidle")
    assert unit.locator(".ticket-head .badge").first.inner_text() == "已签收"
    # The reply check speaks as the staff type; a warned reply is saved once they confirm.
    unit.set_viewport_size({"width": 1366, "height": 768})
    unit.fill("#reply-content", "已派人到现场处理，问题已经全部解决，请知悉。")
    unit.wait_for_selector("#reply-check li")
    assert "缺少称呼" in unit.locator("#reply-check").inner_text()
    assert unit.locator("#reply-confirm").is_visible()
    unit.locator("#action-reply").scroll_into_view_if_needed()
    shot(unit, "replycheck-reply-form.png")
    unit.click("#action-reply button[type=submit]")
    unit.wait_for_load_state("networkidle")
    assert "确认后仍然提交" in unit.content() and "缺少称呼" in unit.content()  # refused: nothing saved yet
    unit.check("#reply-confirm input")
    unit.click("#action-reply button[type=submit]")
    unit.wait_for_load_state("networkidle")
    assert unit.locator(".ticket-head .badge").first.inner_text() == "已答复"

    # Another unit cannot open it.
    other = browser.new_context(locale="zh-CN").new_page()
    other.goto(f"{live_server}/login")
    other.fill("#username", "staff_b")
    other.fill("#password", "password-123")
    other.click("button[type=submit]")
    response = other.goto(f"{live_server}/tickets/{number}")
    assert response.status == 404

    # The operator calls back: dissatisfied → reopened to the same unit.
    sign_in("operator")
    page.goto(f"{live_server}/tickets/{number}")
    page.check("input[name=satisfaction][value=dissatisfied]")
    page.check("input[name=resolved][value=false]")
    page.fill("#callback-note", "来电人表示问题仍未解决")
    page.click("#action-callback button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "已派单"
    assert "重办 1 次" in page.locator(".ticket-head").inner_text()
    assert "重办" in page.locator(".timeline").inner_text()


def test_a_refused_form_keeps_the_page_and_says_why(sign_in, page, live_server, world):
    number = world.ticket("accepted")
    sign_in("staff_a")
    page.goto(f"{live_server}/tickets/{number}")
    page.fill("#ext-hours", "0")
    page.fill("#ext-reason", "需要现场核查")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    page.click("#action-request-extension button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert statuses == [422]
    assert page.locator("#action-request-extension .field-error").inner_text() == "不能小于 1"
    assert page.input_value("#ext-reason") == "需要现场核查"
    assert _status(page) == "已签收"


def test_supervisor_approves_an_extension(sign_in, page, live_server, world):
    number = world.ticket("extension_pending")
    sign_in("supervisor")
    page.goto(f"{live_server}/tickets/{number}")
    assert "申请延期 24 小时" in page.locator("#action-decide-extension").inner_text()
    page.check("input[name=approve][value=true]")
    page.click("#action-decide-extension button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已批准" in page.content()


def test_the_ticket_page_shows_deadlines_and_cards(sign_in, page, live_server, world, app):
    from datetime import timedelta

    from hotline.core import clock
    from hotline.sla.sweep import run_sweep

    number = world.ticket("dispatched")
    with app.app_context():
        run_sweep(clock.now() + timedelta(hours=23))
    sign_in("supervisor")
    page.goto(f"{live_server}/tickets/{number}")
    assert page.locator("#deadlines .badge.record-warning").count() == 1
    assert page.locator("#deadlines .badge.record-overdue").count() == 1
    assert page.locator("#deadlines .badge.record-red").count() == 0  # red at 2 × 22 h, not yet
    assert "22" in page.locator("#deadlines tr.explain").first.inner_text()
    assert "黄牌" in page.locator(".timeline").inner_text()
