"""The admin pages (系统管理) in a real browser, on the demo city, at 1366×768: each page
renders, its main action works, destructive actions ask first, bad input is explained on
the page; the screenshots under docs/screenshots/ come from here."""

import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from hotline.core import clock
from hotline.extensions import db
from hotline.ops.models import FailedJob
from hotline.sla import calendars

from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]

PASSWORD = "demo-12345"


@dataclass
class Desk:
    app: object
    base: str
    page: object

    def sign_in(self, username="admin"):
        page = self.page
        page.goto("about:blank")
        page.context.clear_cookies()
        page.goto(f"{self.base}/login")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")

    def open(self, path):
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def submit(self, selector):
        self.page.click(selector)
        self.page.wait_for_load_state("networkidle")

    def flash(self, kind="error") -> str:
        return self.page.locator(f".flash-{kind}").inner_text()

    def shot(self, name):
        shot(self.page, name)


@pytest.fixture
def desk(demo, page):
    """The demo city served like ``live_server`` (real forms, CSRF included), an admin signed in."""
    app, _output = demo
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    page.set_viewport_size({"width": 1366, "height": 768})
    desk = Desk(app, f"http://127.0.0.1:{server.server_port}", page)
    desk.sign_in()
    yield desk
    server.shutdown()
    thread.join(timeout=10)


def test_units_hierarchy_contacts_and_deactivation(desk):
    page = desk.page
    page.click("nav.nav >> text=系统管理")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "系统管理"
    desk.shot("admin-overview.png")

    page.click(".admin-tabs >> text=单位")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#units tbody tr")
    assert rows.count() >= 10 and "└" in rows.nth(1).inner_text()  # the hierarchy, city first
    desk.shot("admin-units.png")
    page.fill("#q", "东城")
    desk.submit("form.filters button")
    assert all("东城" in r for r in page.locator("#units tbody tr").all_inner_texts())

    # A new town unit without its district is refused, with what was typed kept.
    desk.open("/admin/units/new")
    page.fill("#code", "DC-03")
    page.fill("#name", "东城区新城街道办事处")
    page.select_option("#level", "town")
    desk.submit("#unit-form button[type=submit]")
    assert "未保存。上级单位：区级、镇街单位必须指定上级单位。" in desk.flash()
    assert page.input_value("#name") == "东城区新城街道办事处"
    page.select_option("#parent", "DC")
    desk.submit("#unit-form button[type=submit]")
    assert page.locator("h1").inner_text().startswith("东城区新城街道办事处")

    page.fill("#head_name", "李主任")
    page.fill("#head_phone", "13900001111")
    desk.submit("#contacts-form button[type=submit]")
    assert "已保存通知联系人" in desk.flash("success")

    # Deactivating asks first: the button appears only once the admin opens the warning.
    confirm = page.locator("#unit-active button.danger")
    assert not confirm.is_visible()
    page.click("#unit-active summary")
    assert "不能再向“东城区新城街道办事处”派单" in page.locator("#unit-active").inner_text()
    desk.shot("admin-unit.png")
    desk.submit("#unit-active button.danger")
    assert "已停用" in page.locator("h1").inner_text()


def test_users_create_disable_reset_and_unlock(desk):
    page = desk.page
    desk.open("/admin/users")
    assert page.locator("#users tbody tr").count() >= 20
    desk.shot("admin-users.png")
    page.select_option("#role", "supervisor")
    desk.submit("form.filters button")
    assert all("督办" in r for r in page.locator("#users tbody tr").all_inner_texts())

    desk.open("/admin/users/new")
    page.fill("#username", "op3")
    page.fill("#password", "short")
    page.fill("#display_name", "张晓")
    page.select_option("#role", "operator")
    desk.submit("#user-form button[type=submit]")
    assert "未保存。密码：" in desk.flash()
    assert page.input_value("#display_name") == "张晓" and page.input_value("#password") == ""
    page.fill("#password", "op3-password")
    desk.submit("#user-form button[type=submit]")
    assert page.locator("h1").inner_text().startswith("张晓")

    # The new operator is locked out (as too many wrong passwords do); the admin lifts the lock.
    from hotline.accounts import throttle

    with desk.app.app_context():  # six wrong passwords from one address, as the sign-in counts them
        for _ in range(6):
            throttle.failed(throttle.Attempt("op3", "10.0.0.9"), now=clock.now(), config=desk.app.config)
        db.session.commit()
    desk.open("/admin/users/op3/edit")
    assert "登录锁定中" in page.locator("h1").inner_text()
    page.click("#user-active summary")  # the disable warning, opened for the picture
    desk.shot("admin-user.png")
    desk.submit("#user-lock button")
    assert "已解除" in desk.flash("success")

    page.fill("#new-password", "op3-new-password")
    desk.submit("#user-password button")
    assert "已重置" in desk.flash("success")

    page.click("#user-active summary")
    desk.submit("#user-active button.danger")
    assert "已停用" in page.locator("h1").inner_text()
    desk.sign_in("op3")
    assert page.url.endswith("/login")  # a disabled user cannot sign in


def test_categories_and_their_default_lead_unit(desk):
    page = desk.page
    desk.open("/admin/categories")
    assert page.locator("#categories tr.group").count() >= 5
    desk.shot("admin-categories.png")
    page.locator("#categories tr", has_text="养老保险").locator("text=编辑").click()
    page.wait_for_load_state("networkidle")
    page.fill("#sort_order", "-1")
    desk.submit("#category-form button[type=submit]")
    assert "未保存。排序：不能小于 0" in desk.flash()
    page.fill("#sort_order", "5")
    page.select_option("#default_lead_unit", label="市民政局")
    desk.submit("#category-form button[type=submit]")
    row = page.locator("#categories tr", has_text="养老保险")
    assert "市民政局" in row.inner_text()


def test_deadline_policies_are_versioned(desk):
    page = desk.page
    desk.open("/admin/policies")
    desk.shot("admin-policies.png")
    page.locator("#policies tr", has_text="紧急件").locator("text=编辑").click()
    page.wait_for_load_state("networkidle")
    page.fill("#reply_hours", "十二")
    desk.submit("#policy-form button[type=submit]")
    assert "未保存。答复时限（小时）：应为数字" in desk.flash()
    assert page.locator('.field-error[data-field="reply_hours"]').is_visible()
    page.fill("#reply_hours", "10")
    desk.shot("admin-policy.png")
    desk.submit("#policy-form button[type=submit]")
    assert "规则版本为 2" in desk.flash("success")
    assert "第 2 版" in page.locator("#policies tr", has_text="紧急件").inner_text()


def test_the_missing_year_is_entered_on_the_calendar_page(desk):
    page = desk.page
    with desk.app.app_context():
        calendars.warn_missing_years([2027], now=clock.now(), context="browser test")
        db.session.commit()
    desk.open("/tickets")
    page.click("#calendar-alert-2027 a")  # the warning leads to the page that fixes it
    page.wait_for_load_state("networkidle")
    assert "没有节假日数据" in page.locator("#year-status").inner_text()

    page.fill("#first", "2027-02-06")
    page.fill("#last", "2027-02-31")
    page.check("input[name=is_working][value=false]")
    page.fill("#note", "春节")
    desk.submit("#calendar-form button[type=submit]")
    assert "未保存。结束日期：应为" in desk.flash()
    assert page.input_value("#note") == "春节"
    page.fill("#last", "2027-02-12")
    desk.submit("#calendar-form button[type=submit]")
    assert "已录入 7 天休息日" in desk.flash("success")
    page.fill("#first", "2027-02-14")
    page.check("input[name=is_working][value=true]")
    page.fill("#note", "春节调休")
    desk.submit("#calendar-form button[type=submit]")
    assert page.locator("#calendar-alert-2027").count() == 0  # the year is entered now
    assert "已录入 8 天" in page.locator("#year-status").inner_text()
    assert page.locator("#months td.day.work-weekend.entered").count() == 1
    desk.shot("admin-calendar.png")

    row = page.locator("#entered-days tr", has_text="2027-02-14")
    row.locator("summary").click()
    row.locator("button.danger").click()
    page.wait_for_load_state("networkidle")
    assert "已录入 7 天" in page.locator("#year-status").inner_text()


def test_templates_and_failed_jobs(desk):
    page = desk.page
    desk.open("/admin/templates")
    desk.shot("admin-templates.png")
    page.locator("#templates tr", has_text="新工单派单通知").locator("text=编辑").click()
    page.wait_for_load_state("networkidle")
    page.fill("#body", "【12345热线】{unit_name}：工单{ticket_number}已派至贵单位，来电人{caller_phone}。")
    desk.submit("#template-form button[type=submit]")
    assert "未保存。消息内容：不支持的占位符 caller_phone" in desk.flash()
    desk.shot("admin-template.png")
    page.fill("#body", "【12345热线】{unit_name}：工单{ticket_number}已派至贵单位，请于{due_at}前答复。")
    desk.submit("#template-form button[type=submit]")
    assert "已保存" in desk.flash("success")

    with desk.app.app_context():
        db.session.add(
            FailedJob(
                path="hotline.notifications.jobs.deliver",
                args=[999999],
                queue="notifications",
                error="Traceback (most recent call last):\nLookupError: notification 999999 not found",
                failed_at=clock.now(),
            )
        )
        db.session.commit()
    desk.open("/admin/jobs")
    assert "发送消息" in page.locator("#failed-jobs").inner_text()
    desk.shot("admin-jobs.png")
    desk.submit("#failed-jobs button")
    assert "已重新提交" in desk.flash("success")


def test_other_roles_get_no_admin_pages(desk):
    page = desk.page
    for username in ("sup1", "op1", "hrss"):
        desk.sign_in(username)
        assert "系统管理" not in page.locator("nav.nav").inner_text()
        assert desk.open("/admin/users").status == 403
