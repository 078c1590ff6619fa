"""Electronic supervision in a real browser: open a case, order rectification, the unit answers, close."""

from datetime import timedelta

import pytest

from hotline.sla.sweep import run_sweep

from ..conftest import FROZEN_NOW

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def test_case_from_ticket_to_notice_response_and_close(sign_in, page, live_server, world):
    number = world.ticket("accepted", lead="DEPT-A", request_type="consultation")
    sign_in("supervisor")
    page.goto(f"{live_server}/tickets/{number}")
    page.fill("#case-reason", "多次反映未解决，立案督办")
    page.click("#supervision button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/supervision/cases/" in page.url
    assert "立案督办" in page.locator(".ticket-head").inner_text()

    # A notice without a due date is refused with the field named; nothing issued.
    page.fill("#notice-content", "请于期限内完成整改并反馈")
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    page.click("#form-notices button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert statuses[-1] == 422
    assert page.locator("#form-notices .field-error").count() >= 1
    assert "没有整改通知书" in page.locator("#notices").inner_text()

    page.fill("#notice-due", "2026-11-23T18:00")
    page.fill("#notice-content", "请于期限内完成整改并反馈")
    page.click("#form-notices button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "待反馈" in page.locator("#notices").inner_text()
    assert page.locator(".ticket-head .badge").inner_text() == "已发整改通知"
    case_url = page.url

    # The unit answers its notice.
    sign_in("staff_a")
    page.goto(case_url)
    page.fill("textarea[name=response]", "已完成整改，并电话告知来电人")
    page.click("#notices button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已反馈" in page.locator("#notices").inner_text()
    assert page.locator("#form-close").count() == 0  # units do not close cases

    # Another unit cannot open the case.
    sign_in("staff_b")
    assert page.goto(case_url).status == 404

    sign_in("supervisor")
    page.goto(case_url)
    page.fill("#close-note", "整改到位，结案")
    page.click("#form-close button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已结案" in page.locator(".ticket-head").inner_text()


def test_cards_page_counts_cards_per_unit(sign_in, page, live_server, world, app):
    world.ticket("accepted", lead="DEPT-A")
    world.ticket("accepted", lead="DEPT-B")
    with app.app_context():
        run_sweep(FROZEN_NOW + timedelta(hours=50))  # past 2 × 22 h: yellow and red cards
    sign_in("supervisor")
    page.click("text=黄牌红牌")
    page.wait_for_url("**/supervision/cards")
    rows = page.locator("#cards-by-unit tbody tr").all_inner_texts()
    assert len(rows) == 2 and all("1\t1" in r for r in rows)
    sign_in("staff_a")
    page.goto(f"{live_server}/supervision/cards")
    assert page.locator("#cards-by-unit tbody tr").count() == 1
    assert "市人力资源和社会保障局" in page.locator("#cards-by-unit").inner_text()
    assert page.locator("table.cards-list tbody tr").count() == 2  # its own yellow and red card
    assert "共 2 张" in page.locator("main").inner_text()
    # A page at a time, the filters kept from page to page.
    page.goto(f"{live_server}/supervision/cards?per_page=1")
    assert "共 2 张，第 1/2 页" in page.locator("main").inner_text()
    page.click(".pager >> text=下一页")
    page.wait_for_url("**page=2**")
    assert "第 2/2 页" in page.locator("main").inner_text() and "per_page=1" in page.url
    assert page.locator("table.cards-list tbody tr").count() == 1


def test_outbox_shows_messages_with_masked_numbers(sign_in, page, live_server, world):
    number = world.ticket("pending_dispatch", phone="13812341234")
    sign_in("admin")
    page.goto(f"{live_server}/notifications?ticket={number}")
    text = page.locator("table.outbox").inner_text()
    assert number in text and "138****1234" in text
    assert "13812341234" not in page.content()
