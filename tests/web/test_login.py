"""Signing in and out in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def test_wrong_password_shows_a_chinese_error(page, live_server):
    page.goto(f"{live_server}/")
    assert "/login" in page.url  # signed-out users are sent to the login page
    page.fill("#username", "operator")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".field-error").inner_text() == "用户名或密码错误。"


def test_sign_in_and_out(sign_in, page, live_server):
    sign_in("staff_a")
    assert page.url.endswith("/queues/accept")  # unit staff start at their queue: tickets to sign for
    assert "市人力资源和社会保障局" in page.locator(".user").inner_text()
    page.click("text=退出")
    page.wait_for_load_state("networkidle")
    assert "/login" in page.url
    assert "已退出登录" in page.content()
    page.goto(f"{live_server}/")
    assert "/login" in page.url


def test_logout_revokes_the_old_session_cookie(sign_in, page, live_server, browser):
    sign_in("operator")
    cookies = page.context.cookies()
    page.click("text=退出")
    page.wait_for_load_state("networkidle")
    # A copy of the old cookie (as a thief would have) no longer works.
    other = browser.new_context()
    other.add_cookies(cookies)
    stolen = other.new_page()
    stolen.goto(f"{live_server}/")
    assert "/login" in stolen.url
    other.close()


def test_knowledge_editors_start_at_their_desk(sign_in, page):
    sign_in("kb_editor")
    assert page.url.endswith("/kb/articles")
    assert page.locator("nav.nav a").all_inner_texts() == ["知识库"]
