"""The work queues in a real browser at 1366×768: each role's start page, the menu's counts
refreshing without a reload, the countdown colours, a unit refused another unit's ticket by
URL, and the ticket printed on one A4 page. Saves the screenshots under docs/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from hotline.core import clock
from hotline.extensions import db
from hotline.sla import policies

from .shots import shot
from .test_queue_pages import set_due

pytestmark = [pytest.mark.browser, pytest.mark.any_database]

SIZE = {"width": 1366, "height": 768}

OVERDUE_RGB = "rgb(183, 28, 28)"  # queues.css: .time-left.tone-overdue
WARNING_RGB = "rgb(230, 81, 0)"
NORMAL_RGB = "rgb(27, 94, 32)"


def _policy(world):
    """An accept deadline of 2 hours and a reply deadline of 22 (natural hours), warning at 80%."""
    with world.app.app_context():
        policies.create_policy(
            actor=None,
            now=clock.now(),
            values={
                "name": "一般件",
                "request_type": "*",
                "urgency": "*",
                "accept_hours": 2,
                "reply_hours": 22,
                "warn_ratio": 0.8,
                "red_ratio": 2.0,
            },
        )
        db.session.commit()


def _scene(world) -> dict:
    """A morning's work: tickets in every queue, deadlines normal, near and past."""
    _policy(world)
    t = {}
    ask = dict(request_type="help", category="MISC")
    t["mine"] = world.ticket("new", content="来电咨询失业保险金申领需要哪些材料，已告知部分内容，待补充后提交。", **ask)
    t["callback"] = world.ticket("replied", content="小区门口路灯连续三晚不亮，夜间出行不便。", **ask)
    t["callback2"] = world.ticket("replied", content="反映养老金到账时间推迟，请核实原因。")
    t["pending"] = world.ticket("pending_dispatch", content="东湖路菜市场周边占道经营严重，早高峰堵塞。", **ask)
    t["pending2"] = world.ticket("pending_dispatch", content="咨询灵活就业人员参保缴费基数如何确定。")
    t["returned"] = world.ticket("returned", lead="DEPT-A", content="噪音扰民：夜间施工至凌晨两点。", **ask)
    t["to_accept"] = world.ticket("dispatched", lead="DEPT-A", content="养老保险关系转移接续办理进度查询。")
    t["to_accept_late"] = world.ticket("dispatched", lead="DEPT-A", content="社保卡补办后一直未收到，请协助查询。")
    t["doing_warn"] = world.ticket("accepted", lead="DEPT-A", content="企业未按时为职工缴纳社会保险，请予查处。")
    t["doing_late"] = world.ticket("accepted", lead="DEPT-A", content="退休人员养老金待遇核定有误，申请复核。")
    t["doing_ok"] = world.ticket("accepted", lead="DEPT-A", content="咨询城乡居民养老保险缴费档次调整办法。")
    t["asking"] = world.ticket("extension_pending", lead="DEPT-A", content="工伤认定材料需补充现场调查，申请延期。")
    t["other_unit"] = world.ticket("accepted", lead="DEPT-B", content="超市销售过期食品，请市场监管部门查处。")
    set_due(world, t["to_accept_late"], -35, kind="accept")
    set_due(world, t["to_accept"], 85, kind="accept", warn_minutes=-5)
    set_due(world, t["doing_warn"], 95, kind="reply", warn_minutes=-30)
    set_due(world, t["doing_late"], -310, kind="reply", warn_minutes=-600)
    set_due(world, t["doing_ok"], 60 * 19 + 12, kind="reply", warn_minutes=60 * 15)
    set_due(world, t["other_unit"], 50, kind="reply", warn_minutes=-100)
    return t


def _shot(page, name):
    shot(page, name)


def _count(page, key) -> str:
    return page.locator(f'#queuebar [data-count-for="{key}"]').inner_text()


def test_each_roles_queue(sign_in, page, live_server, world, app):
    page.set_viewport_size(SIZE)
    t = _scene(world)

    sign_in("operator")
    assert page.url.endswith("/queues/mine")
    assert page.locator("h1").inner_text().startswith("我登记的未提交")
    assert (_count(page, "mine"), _count(page, "callbacks")) == ("1", "2")
    _shot(page, "queue-operator.png")
    page.click("#queuebar >> text=待回访")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#queue-table tbody tr")
    assert rows.count() == 2 and "答复于" in rows.first.inner_text()

    sign_in("dispatcher")
    assert page.url.endswith("/queues/dispatch")
    assert page.locator("#queue-table tbody tr").count() == 2
    page.click("#queuebar >> text=退回件")
    page.wait_for_load_state("networkidle")
    assert "市人力资源和社会保障局退回：非本单位职责" in page.locator("#queue-table").inner_text()
    _shot(page, "queue-dispatcher-returned.png")

    sign_in("staff_a")
    assert page.url.endswith("/queues/accept")
    first = page.locator("#queue-table tbody tr").first
    assert t["to_accept_late"] in first.inner_text() and "签收 已超时 35 分钟" in first.inner_text()
    _shot(page, "queue-unit-accept.png")
    page.click("#queuebar >> text=办理中")
    page.wait_for_load_state("networkidle")
    body = page.locator("#queue-table").inner_text()
    assert t["other_unit"] not in body
    assert body.index(t["doing_late"]) < body.index(t["doing_warn"]) < body.index(t["doing_ok"])
    _shot(page, "queue-unit-doing.png")

    sign_in("supervisor")
    assert page.url.endswith("/queues/decide")
    assert t["asking"] in page.locator("#queue-table").inner_text()
    page.click("#queuebar >> text=已超时")
    page.wait_for_load_state("networkidle")
    body = page.locator("#queue-table").inner_text()
    assert t["to_accept_late"] in body and t["doing_late"] in body
    _shot(page, "queue-supervisor-overdue.png")


def test_countdown_colours_and_the_counts_refresh_without_reload(sign_in, page, live_server, world, app):
    page.set_viewport_size(SIZE)
    app.config["QUEUE_COUNTS_REFRESH_SECONDS"] = 1
    t = _scene(world)
    sign_in("staff_a")
    page.click("#queuebar >> text=办理中")
    page.wait_for_load_state("networkidle")
    for number, tone, rgb in (
        (t["doing_late"], "overdue", OVERDUE_RGB),
        (t["doing_warn"], "warning", WARNING_RGB),
        (t["doing_ok"], "normal", NORMAL_RGB),
    ):
        badge = page.locator(f'tr[data-number="{number}"] .time-left[data-kind="reply"]')
        assert f"tone-{tone}" in badge.get_attribute("class")
        assert badge.evaluate("n => getComputedStyle(n).color") == rgb
    late = page.locator(f'tr[data-number="{t["doing_late"]}"] .time-left[data-kind="reply"]').inner_text()
    assert late == "答复 已超时 5 小时 10 分"

    # A new ticket for the unit: the menu's count follows within a refresh, no reload.
    page.evaluate("window.notReloaded = true")
    before = int(_count(page, "accept"))
    world.ticket("dispatched", lead="DEPT-A")
    expect(page.locator('#queuebar [data-count-for="accept"]')).to_have_text(str(before + 1))
    assert page.evaluate("window.notReloaded") is True

    # The ticket's own page: each running deadline counted down, in words.
    page.goto(f"{live_server}/tickets/{t['doing_late']}")
    clocks = page.locator("#countdowns").inner_text()
    assert "答复时限 已超时 5 小时 10 分" in clocks
    _shot(page, "ticket-countdown.png")


def test_a_unit_is_refused_another_units_ticket_by_url(sign_in, page, live_server, world):
    page.set_viewport_size(SIZE)
    theirs = world.ticket("accepted", lead="DEPT-A")
    sign_in("staff_b")
    response = page.goto(f"{live_server}/tickets/{theirs}")
    assert response.status == 404
    assert theirs not in page.content().replace(f"/tickets/{theirs}", "")
    assert "工单不存在" in page.locator("main").inner_text() or "页面不存在" in page.locator("main").inner_text()


def test_the_ticket_prints_on_one_a4_page(sign_in, page, live_server, world, tmp_path):
    page.set_viewport_size(SIZE)
    _policy(world)
    number = world.ticket("closed", content="小区门口路灯连续三晚不亮，夜间出行不便，请尽快安排维修。" * 4)
    long_one = world.ticket("accepted", content="反映情况：" + "楼下餐馆油烟直排，窗户不敢开。" * 300)
    supervisor = world.client("supervisor")
    for i in range(20):  # a long history: the printout lists the first 15 steps and says so
        assert (
            supervisor.post(f"/api/v1/tickets/{long_one}/urge", json={"note": f"第 {i + 1} 次催办"}).status_code == 200
        )
    sign_in("supervisor")
    page.goto(f"{live_server}/tickets/{long_one}")
    pdf = page.pdf(format="A4", print_background=False)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.goto(f"{live_server}/tickets/{number}")
    assert page.locator("#print-ticket").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the ticket printed on {pages} pages"
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("aside.side-col").is_hidden()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    _shot(page, "ticket-print.png")
