"""The intake form in a real browser: nothing typed is lost (a refused form, an expired
session), Enter never answers, the keyboard shortcuts, a repeat caller; and the ticket
page on a callback (the unit's long reply in view, folded, once)."""

import pytest
from sqlalchemy import func, select

from hotline.core import clock
from hotline.extensions import db
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def _status(page):
    return page.locator(".ticket-head .badge").first.inner_text()


def _articles(world):
    first = world.article(
        title="养老保险退休手续办理",
        body="办理养老保险退休手续，可到区人社局服务大厅，或通过网上办事大厅申请。",
        category="SOC.PEN",
    )
    second = world.article(title="养老金发放时间", body="养老保险待遇每月15日前发放到社保卡。", category="SOC.PEN")
    return first, second


def _chinese_names(app, **names):
    """Display names as people have them (the world's are its usernames), for the pictures."""
    from hotline.accounts.models import User

    with app.app_context():
        for username, name in names.items():
            db.session.scalar(select(User).where(User.username == username)).display_name = name
        db.session.commit()


def _type_call(page, content="养老保险退休手续在哪里办理，养老金什么时候发放？"):
    page.fill("#caller_phone", "13800138000")
    page.fill("#caller_name", "李女士")
    page.fill("#content", content)
    page.wait_for_selector("#kb-suggestions li.highlighted")


def test_a_refused_answer_keeps_the_chosen_article_and_its_answer(sign_in, page, live_server, world, app):
    first, _ = _articles(world)
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    _type_call(page)
    page.click(f"#kb-suggestions .use-article[data-id='{first}']")
    assert page.input_value("#category") == "SOC.PEN"  # the article proposes its category
    assert "已按知识条目设为" in page.inner_text("#category-proposed")
    page.fill("#caller_phone", "12345")  # refused
    page.click("#answer-button")
    page.wait_for_load_state("networkidle")
    assert "来电号码：号码格式不正确" in page.inner_text(".flash-error")
    assert "区人社局服务大厅" in page.input_value("#answer")
    assert page.input_value("#article_id") == str(first)
    assert page.inner_text("#article-chosen") == "已引用知识条目：养老保险退休手续办理"
    assert page.input_value("#content").startswith("养老保险退休手续")
    assert page.input_value("#category") == "SOC.PEN"
    assert _tickets(app) == 0


def test_an_expired_session_brings_the_ticket_back_after_signing_in(sign_in, page, live_server, world, app):
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "小区门口路灯坏了一个月")
    page.fill("#address", "东湖路8号")
    page.wait_for_timeout(500)  # the draft is kept as the operator types
    page.wait_for_load_state("networkidle")  # no lookup in flight could set the cookie again
    page.context.clear_cookies()  # the session ends while the operator types
    assert page.context.cookies() == []
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url and _tickets(app) == 0
    page.fill("#username", "operator")
    page.fill("#password", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url("**/tickets/new")
    page.wait_for_selector("#draft-status.restored")
    assert page.input_value("#content") == "小区门口路灯坏了一个月"
    assert page.input_value("#address") == "东湖路8号"
    assert page.input_value("#caller_phone") == "13800138000"
    assert page.input_value("#category") == "SOC.PEN"
    assert "已恢复" in page.inner_text("#draft-status")
    page.click("button[value=submit]")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "待派单"
    page.goto(f"{live_server}/tickets/new")  # recorded: the draft is gone
    assert page.input_value("#content") == ""


def test_enter_in_a_field_submits_nothing(sign_in, page, live_server, world, app):
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "咨询事项")
    page.fill("#answer", "已答复")
    posts = []
    # The form's own submission (the suggestions and the caller's history are POSTs of their own).
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/ui/" not in r.url else None)
    for field in ("#caller_phone", "#caller_name", "#address", "#kb-search"):
        page.focus(field)
        page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert posts == [] and page.url.endswith("/tickets/new")
    assert _tickets(app) == 0


def test_the_category_tree_is_searchable_by_typing(sign_in, page, live_server, world):
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    page.fill("#category-filter", "养老")
    assert page.locator("#category option[value=MISC]").evaluate("o => o.hidden")
    page.keyboard.press("Enter")
    assert page.input_value("#category") == "SOC.PEN"


def test_keyboard_shortcuts_answer_with_the_highlighted_suggestion(sign_in, page, live_server, world, app):
    _articles(world)
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    assert "Alt" in page.inner_text("#shortcuts")
    _type_call(page)
    page.keyboard.press("Alt+K")
    assert page.evaluate("document.activeElement.id") == "kb-search"
    titles = page.locator("#kb-suggestions ol.suggestions > li > a").all_inner_texts()
    assert len(titles) == 2
    page.keyboard.press("Alt+N")
    assert page.locator("#kb-suggestions li.highlighted > a").inner_text() == titles[1]
    page.keyboard.press("Alt+D")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "已办结"
    assert titles[1] in page.locator(".facts").first.inner_text()  # the article, by its title


def test_alt_s_submits_for_dispatch(sign_in, page, live_server, world):
    sign_in("operator")
    page.goto(f"{live_server}/tickets/new")
    page.fill("#caller_phone", "13800138000")
    page.select_option("#category", "SOC.PEN")
    page.fill("#content", "路灯不亮")
    page.keyboard.press("Alt+S")
    page.wait_for_load_state("networkidle")
    assert _status(page) == "待派单"


def test_a_repeat_caller_is_flagged_and_the_call_added_as_a_note(sign_in, page, live_server, world, app):
    number = world.ticket("dispatched", phone="13800138000", content="小区路灯不亮")
    _articles(world)
    _chinese_names(app, operator="王丽")
    sign_in("operator")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/tickets/new")
    _type_call(page, "养老保险退休手续在哪里办理？上次反映的路灯还没修好")
    page.wait_for_selector("#repeat-caller .repeat-item")
    assert number in page.inner_text("#repeat-caller")
    shot(page, "intake.png")
    before = _tickets(app)
    page.click(f"#repeat-caller button[value='note:{number}']")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/tickets/{number}")
    assert "来电补充：养老保险退休手续" in page.inner_text(".timeline")
    assert _tickets(app) == before


def test_a_long_reply_is_in_view_on_a_callback_folded_and_shown_once(sign_in, page, live_server, world, app):
    number = world.ticket("accepted")
    marker = "答复要点"
    long_reply = (marker + "经现场核查，" + "相关情况已处理完毕并告知来电人。" * 400)[:5000]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
        staff = world.user("staff_a")
        tickets.reply(ticket, actor=staff, now=clock.now(), content=long_reply)
        db.session.commit()
    _chinese_names(app, operator="王丽", staff_a="陈志远")
    sign_in("operator")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/tickets/{number}")
    reply = page.locator("#replies .content-text")
    box = reply.bounding_box()
    assert box["y"] < 768 and box["height"] < 300  # in view, folded
    assert page.locator("#replies .fold-toggle").inner_text() == "展开"
    assert page.locator("#action-callback").is_visible()
    assert marker not in page.inner_text(".timeline")  # not repeated in the timeline
    assert page.content().count(marker) == 1
    shot(page, "ticket-callback.png")
    page.click("#replies .fold-toggle")
    assert reply.bounding_box()["height"] > 300


def test_returning_a_ticket_asks_for_confirmation(sign_in, page, live_server, world):
    number = world.ticket("accepted")
    sign_in("staff_a")
    page.goto(f"{live_server}/tickets/{number}")
    page.fill("#return-reason", "非本单位职责")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#action-return button[type=submit]")
    page.wait_for_timeout(300)
    assert "确定退回" in messages[0]
    assert _status(page) == "已签收"  # not returned
    page.once("dialog", lambda d: d.accept())
    page.click("#action-return button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已退单" in page.inner_text(".flash")
