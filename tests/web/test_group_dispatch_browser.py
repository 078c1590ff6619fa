"""A group of duplicates in a real browser at 1366×768: one line in the 待派单 queue whose
members unfold, then the head's page dispatching the group with one form."""

import pytest
from playwright.sync_api import expect

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]

PIPE = "东湖路和解放路路口的自来水管爆裂了，水流满马路"


def test_the_dispatcher_dispatches_a_group_of_duplicates(sign_in, page, live_server, world):
    head = world.ticket("pending_dispatch", content=f"{PIPE}，请赶快来修")
    members = [world.ticket("pending_dispatch", content=f"{PIPE}（第 {i} 次来电）") for i in (2, 3)]
    alone = world.ticket("pending_dispatch", content="小区门口有人占道经营卖水果，影响通行")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in("dispatcher")
    page.goto(f"{live_server}/queues/dispatch")
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    group = page.locator(f'tr[data-number="{head}"] details.dup-group')
    group.locator("summary").click()
    expect(group.locator("a")).to_have_text(members)
    expect(page.locator(f'tr[data-number="{alone}"] details')).to_have_count(0)
    shot(page, "queue-duplicate-group.png")

    page.locator(f'tr[data-number="{head}"] a.button').click()
    form = page.locator("#action-dispatch-group")
    expect(form.locator('input[name="members"]:checked')).to_have_count(2)
    form.locator("#group-lead_unit").select_option("DEPT-B")
    shot(page, "ticket-dispatch-group.png")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text(f"已一并派单 3 件：{head}")
    page.goto(f"{live_server}/queues/dispatch")
    expect(page.locator("#queue-table tbody tr")).to_have_count(1)
