"""Searching tickets on the list page, in a real browser (a unit sees only its own)."""

import pytest

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def test_a_unit_searches_its_tickets_by_a_word(sign_in, page, live_server, world):
    own = world.ticket("dispatched", lead="DEPT-A", content="幸福小区门口的路灯不亮已经三天，晚上很危险。")
    world.ticket("dispatched", lead="DEPT-A", content="工地夜间施工噪音扰民。")
    other = world.ticket("dispatched", lead="DEPT-B", content="人民路的路灯白天也亮着，浪费电。")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in("staff_a")
    page.goto(f"{live_server}/tickets")
    page.fill("input[name=q]", "路灯")
    page.click("button:has-text('筛选')")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() == 1
    assert own in rows.first.inner_text() and other not in page.content()
    assert "共 1 件" in page.locator("main, body").first.inner_text()
    shot(page, "tickets-search.png")
