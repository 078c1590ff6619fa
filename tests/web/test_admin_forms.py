"""The admin pages' forms without a browser: each change goes through the domain's service
(audited); bad input is a Chinese message naming the field's label, with nothing changed."""

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from hotline.accounts.models import User
from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from hotline.ops.models import FailedJob
from hotline.sla import calendars, policies, services
from hotline.sla.models import CalendarDay, CalendarWarning, SlaPolicy
from hotline.units.models import Unit

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py


def _signed_in(app, username="admin", password="password-123"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302
    return client


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _audits(app, action) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- units ----------------------------------------------------------------------------

BAD_UNITS = [
    pytest.param({"code": "DEPT-N", "name": "", "level": "city"}, "单位名称：不能为空", id="empty-name"),
    pytest.param({"code": "DEPT-N", "name": "区局", "level": "district"}, "上级单位：", id="district-without-parent"),
    pytest.param({"code": "DEPT-A", "name": "重复", "level": "city"}, "单位编码：单位编码已存在。", id="duplicate"),
    pytest.param({"code": "部门", "name": "新局", "level": "city"}, "单位编码：格式不正确", id="bad-code"),
    pytest.param({"code": "DEPT-N", "name": "新局", "level": "planet"}, "层级：取值不在允许范围内", id="bad-level"),
    pytest.param({"code": "DEPT-N", "name": "新\x07局", "level": "city"}, "单位名称：含有非法控制字符", id="control"),
]


@pytest.mark.parametrize(("form", "message"), BAD_UNITS)
def test_a_bad_unit_is_refused_with_the_field_named_and_nothing_added(app, world, form, message):
    before, audited = _count(app, Unit), len(_audits(app, "unit.create"))
    r = _signed_in(app).post("/admin/units/new", data=form)
    assert r.status_code in (409, 422)
    page = r.get_data(as_text=True)
    assert "未保存。" + message in page
    assert f'value="{form["name"]}"' in page or "\x07" in form["name"]  # what was typed stays
    assert _count(app, Unit) == before
    assert len(_audits(app, "unit.create")) == audited


def test_a_unit_is_created_moved_given_contacts_and_deactivated(app, world):
    client = _signed_in(app)
    r = client.post(
        "/admin/units/new", data={"code": "DIST-1", "name": "东区人民政府", "level": "district", "parent": "CITY"}
    )
    assert r.status_code == 303
    r = client.post("/admin/units/DIST-1/contacts", data={"head_name": "王区长", "head_phone": "138-0000-0001"})
    assert r.status_code == 303
    r = client.post("/admin/units/DIST-1/active", data={"is_active": "false"})
    assert r.status_code == 303
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "DIST-1"))
        assert (unit.parent.code, unit.head_phone, unit.is_active) == ("CITY", "13800000001", False)
    assert [e.object_id for e in _audits(app, "unit.create")].count("DIST-1") == 1
    assert len(_audits(app, "unit.contacts")) == 1
    assert _audits(app, "unit.update")[-1].data["after"] == {"is_active": False}
    # A contact number that is not a mobile is refused by the notifications' own schema.
    r = client.post("/admin/units/DIST-1/contacts", data={"head_phone": "0757-123"})
    assert r.status_code == 422 and "负责人手机：" in r.get_data(as_text=True)


def test_an_unchanged_unit_form_changes_and_audits_nothing(app, world):
    client = _signed_in(app)
    r = client.post(
        "/admin/units/DEPT-B/edit", data={"name": "市市场监督管理局", "parent": "CITY", "contact_phone": ""}
    )
    assert r.status_code == 303
    assert _audits(app, "unit.update") == []


def test_the_unit_list_searches_by_name(app, world):
    page = _signed_in(app).get("/admin/units?q=城市").get_data(as_text=True)
    assert "市城市管理局" in page and "市市场监督管理局" not in page


def test_search_boxes_ignore_nul_and_control_characters(app, world):
    """PostgreSQL refuses NUL in a LIKE pattern or a comparison: never a 500."""
    client = _signed_in(app)
    assert "市城市管理局" in client.get("/admin/units?q=城市%00").get_data(as_text=True)
    r = client.get("/admin/users?q=staff%00_a&unit=DEPT%00A")
    assert r.status_code == 200 and "没有符合条件的用户" in r.get_data(as_text=True)
    assert client.get("/admin/categories?q=%00%07").status_code == 200


# --- users ----------------------------------------------------------------------------


def test_the_user_list_goes_page_by_page_with_its_filters(app, world, monkeypatch):
    from hotline.web.admin import users as user_pages

    monkeypatch.setattr(user_pages, "PER_PAGE", 2)
    client = _signed_in(app)
    total = _count(app, User)
    first = client.get("/admin/users").get_data(as_text=True)
    assert f"共 {total} 人，第 1/{-(-total // 2)} 页" in first and "下一页" in first and "上一页" not in first
    seen = set()
    for page in range(1, -(-total // 2) + 1):
        html = client.get(f"/admin/users?page={page}").get_data(as_text=True)
        seen |= set(_usernames(html))
    assert len(seen) == total  # every user on exactly one of the pages
    staff = client.get("/admin/users?role=unit_staff&page=2").get_data(as_text=True)
    assert "role=unit_staff" in staff and "上一页" in staff  # the filters stay in the links
    assert client.get("/admin/users?page=abc").status_code == 200  # a bad page is the first


def _usernames(html: str):
    import re

    return re.findall(r'<td class="muted">([^<]+)</td>', html)


def test_a_user_with_a_short_password_is_refused_and_the_password_not_sent_back(app, world):
    before = _count(app, User)
    r = _signed_in(app).post(
        "/admin/users/new",
        data={"username": "new-op", "password": "short", "role": "operator", "display_name": "新人"},
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "未保存。密码：" in page and 'value="新人"' in page and "short" not in page
    assert _count(app, User) == before


def test_unit_staff_need_a_unit_and_a_stray_unit_is_ignored_for_other_roles(app, world):
    client = _signed_in(app)
    r = client.post("/admin/users/new", data={"username": "s1", "password": "password-456", "role": "unit_staff"})
    assert r.status_code == 422 and "所属单位：成员单位用户必须指定所属单位。" in r.get_data(as_text=True)
    r = client.post(
        "/admin/users/new", data={"username": "o1", "password": "password-456", "role": "operator", "unit": "DEPT-A"}
    )
    assert r.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "o1")).unit_id is None


def test_disabling_a_user_signs_them_out_and_keeps_them_out(app, world):
    victim = _signed_in(app, "staff_a2")
    assert victim.get("/tickets").status_code == 200
    r = _signed_in(app).post("/admin/users/staff_a2/active", data={"is_active": "false"})
    assert r.status_code == 303
    assert victim.get("/tickets").status_code == 302  # the session ended at once
    assert (
        app.test_client().post("/login", data={"username": "staff_a2", "password": "password-123"}).status_code == 401
    )
    assert _audits(app, "user.update")[-1].data == {"is_active": False}


def test_an_admin_cannot_disable_themselves(app, world):
    r = _signed_in(app).post("/admin/users/admin/active", data={"is_active": "false"})
    assert r.status_code == 422 and "状态：不能停用自己的账号。" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.user_ids["admin"]).is_active


def test_a_password_reset_and_a_lifted_lock_let_the_user_in(app, world):
    guesser = app.test_client()  # wrong passwords until the sign-in throttle makes this address wait
    statuses = [
        guesser.post("/login", data={"username": "staff_a2", "password": "wrong-guess"}).status_code for _ in range(6)
    ]
    assert statuses[-1] == 429
    admin = _signed_in(app)
    page = admin.get("/admin/users/staff_a2/edit").get_data(as_text=True)
    assert "立即解除锁定" in page
    assert "登录锁定中" in admin.get("/admin/users?state=locked").get_data(as_text=True)
    assert admin.post("/admin/users/staff_a2/unlock").status_code == 303
    assert [e.object_id for e in _audits(app, "user.unlock")] == ["staff_a2"]
    _signed_in(app, "staff_a2")  # the lock is gone
    r = admin.post("/admin/users/staff_a2/password", data={"password": "1234"})
    assert r.status_code == 422 and "密码：" in r.get_data(as_text=True)
    assert admin.post("/admin/users/staff_a2/password", data={"password": "a-new-password"}).status_code == 303
    _signed_in(app, "staff_a2", "a-new-password")
    data = _audits(app, "user.update")[-1].data
    assert data["password"] == "changed" and "a-new-password" not in str(data)  # never the password itself


# --- categories, policies, templates -----------------------------------------------


def test_a_category_with_an_unknown_lead_unit_is_refused(app, world):
    r = _signed_in(app).post(
        "/admin/categories/SOC.PEN/edit", data={"name": "养老保险", "default_lead_unit": "NOPE", "sort_order": "0"}
    )
    assert r.status_code == 422 and "未保存。默认主办单位：单位不存在或已停用。" in r.get_data(as_text=True)
    assert _audits(app, "category.update") == []


BAD_POLICIES = [
    pytest.param({"reply_hours": "二十"}, "答复时限（小时）：应为数字", id="not-a-number"),
    pytest.param({"reply_hours": "0"}, "答复时限（小时）：应大于 0", id="zero"),
    pytest.param({"warn_ratio": "150"}, "预警点：应为 1–99 之间的百分比", id="warn-over-100"),
    pytest.param({"accept_hours": "30"}, "签收时限（小时）：签收时限不能长于答复时限。", id="accept-after-reply"),
    pytest.param({"working_hours": "9-17"}, "工作时段：", id="working-hours"),
    pytest.param({"name": ""}, "规则名称：不能为空", id="empty-name"),
]


@pytest.mark.parametrize(("change", "message"), BAD_POLICIES)
def test_a_bad_policy_change_is_refused_and_the_version_stays(app, world, change, message):
    with app.app_context():
        policy = policies.create_policy(
            actor=None,
            now=clock.now(),
            values={"name": "投诉件", "request_type": "complaint", "urgency": "*", "reply_hours": 22},
        )
        db.session.commit()
        policy_id = policy.id
    form = {"name": "投诉件", "reply_hours": "22", "warn_ratio": "80", "working_hours": "08:30-12:00"} | change
    r = _signed_in(app).post(f"/admin/policies/{policy_id}", data=form)
    assert r.status_code == 422
    assert "未保存。" + message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SlaPolicy, policy_id).version == 1
    assert _audits(app, "sla_policy.update") == []


def test_a_policy_change_is_a_new_version_with_percentages_as_ratios(app, world):
    client = _signed_in(app)
    r = client.post(
        "/admin/policies/new",
        data={"name": "紧急件", "urgency": "urgent", "reply_hours": "12", "warn_ratio": "75", "red_ratio": ""},
    )
    assert r.status_code == 303
    with app.app_context():
        policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.name == "紧急件"))
        assert (policy.reply_hours, policy.warn_ratio, policy.red_ratio) == (12, 0.75, 2.0)
        policy_id = policy.id
    r = client.post(f"/admin/policies/{policy_id}", data={"name": "紧急件", "reply_hours": "8", "red_ratio": ""})
    assert r.status_code == 303
    with app.app_context():
        policy = db.session.get(SlaPolicy, policy_id)
        assert (policy.version, policy.reply_hours, policy.red_ratio) == (2, 8, None)
    assert _audits(app, "sla_policy.update")[-1].data["after"] == {"reply_hours": 8.0, "red_ratio": None}


def test_a_template_with_an_unknown_placeholder_is_refused(app, world):
    client = _signed_in(app)
    r = client.post(
        "/admin/templates/unit_ticket_dispatched",
        data={"channel": "sms", "body": "工单{ticket_number}，来电人{caller_phone}"},
    )
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "未保存。消息内容：不支持的占位符 caller_phone" in page and "body：" not in page
    assert _audits(app, "notification_template.update") == []
    r = client.post(
        "/admin/templates/unit_ticket_dispatched", data={"channel": "sms", "body": "工单{ticket_number}请签收"}
    )
    assert r.status_code == 303
    listed = client.get("/admin/templates").get_data(as_text=True)
    assert "工单{工单号}请签收" in listed  # placeholders shown by their Chinese names
    assert listed.count("已修改") == 1 and "默认" in listed  # the others send the built-in text


# --- the holiday calendar -------------------------------------------------------------

WORKING = dataclasses.replace(policies.BUILTIN, clock_mode="working")
FRIDAY_5PM = datetime(2027, 2, 5, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai, Friday 5 February 2027


def _due(app):
    with app.app_context():
        return clock.local(services.compute(FRIDAY_5PM, 2, WORKING, now=clock.now()).points.due_at)


def test_entered_holidays_and_adjusted_working_days_move_working_time_deadlines(app, world):
    """2027 is unknown to the package: Monday to Friday until an admin enters the year."""
    assert _due(app).date() == date(2027, 2, 8)  # weekends only: Monday
    client = _signed_in(app)
    assert "没有节假日数据" in client.get("/admin/calendar?year=2027").get_data(as_text=True)
    r = client.post(
        "/admin/calendar/days",
        data={"first": "2027-02-06", "last": "2027-02-13", "is_working": "false", "note": "春节"},
    )
    assert r.status_code == 303
    r = client.post("/admin/calendar/days", data={"first": "2027-02-14", "is_working": "true", "note": "春节调休"})
    assert r.status_code == 303
    assert _due(app).date() == date(2027, 2, 14)  # the holiday is skipped; the Sunday is worked
    with app.app_context():
        assert _count(app, CalendarDay) == 9
        year = {d: (working, source) for d, working, source in calendars.year_days(2027)}
        assert year[date(2027, 2, 8)] == (False, "admin") and year[date(2027, 2, 14)] == (True, "admin")
    assert len(_audits(app, "calendar_day.create")) == 9
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "已录入 9 天" in page and "春节调休" in page


BAD_DAYS = [
    pytest.param({"first": "2027-02-30", "is_working": "false"}, "开始日期：应为", id="no-such-date"),
    pytest.param({"first": "", "is_working": "false"}, "开始日期：此项必填", id="missing"),
    pytest.param(
        {"first": "2027-03-02", "last": "2027-03-01", "is_working": "false"},
        "结束日期：结束日期不能早于开始日期。",
        id="backwards",
    ),
    pytest.param(
        {"first": "2027-03-01", "last": "2027-05-01", "is_working": "false"},
        "结束日期：一次最多录入 31 天。",
        id="too-long",
    ),
    pytest.param({"first": "2027-03-01"}, "类型：此项必填", id="no-kind"),
    pytest.param(
        {"first": "2027-01-01", "last": "2027-01-03", "is_working": "false"}, "日期：该日期已录入", id="overlap"
    ),
]


@pytest.mark.parametrize(("form", "message"), BAD_DAYS)
def test_bad_calendar_entries_are_refused_and_enter_nothing(app, world, form, message):
    with app.app_context():
        calendars.add_day(actor=None, now=clock.now(), day=date(2027, 1, 2), is_working=False, note="元旦")
        db.session.commit()
    r = _signed_in(app).post("/admin/calendar/days?year=2027", data=form)
    assert r.status_code in (409, 422)
    assert "未保存。" + message in r.get_data(as_text=True)
    assert _count(app, CalendarDay) == 1  # a range is all or nothing


def test_the_missing_year_warning_points_admins_to_the_calendar_page(app, world):
    with app.app_context():
        calendars.warn_missing_years([2027], now=clock.now(), context="test")
        db.session.commit()
        message = db.session.scalar(select(CalendarWarning.message))
    assert "/admin/calendar?year=2027" in message
    admin = _signed_in(app)
    page = admin.get("/tickets").get_data(as_text=True)
    assert 'href="/admin/calendar?year=2027"' in page and "2027 年节假日数据缺失" in page
    assert "节假日数据缺失" not in _signed_in(app, "supervisor").get("/tickets").get_data(as_text=True)
    admin.post("/admin/calendar/days", data={"first": "2027-01-01", "is_working": "false", "note": "元旦"})
    assert "节假日数据缺失" not in admin.get("/tickets").get_data(as_text=True)  # entered: resolved


# --- failed jobs ----------------------------------------------------------------------


def test_an_inline_failure_is_listed_and_retried(app, world):
    with app.app_context():
        row = FailedJob(
            path="hotline.sla.jobs.sweep",
            args=[],
            queue="escalation",
            error="Traceback\nRuntimeError: boom",
            failed_at=clock.now(),
        )
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    client = _signed_in(app)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "时限巡检" in page and "RuntimeError: boom" in page
    assert client.post(f"/admin/jobs/inline/{row_id}/retry").status_code == 303
    assert _count(app, FailedJob) == 0  # it ran, and succeeded this time
    assert [e.object_id for e in _audits(app, "failed_job.retry")] == [f"inline:{row_id}"]
    assert client.post(f"/admin/jobs/inline/{row_id}/retry").status_code == 404
    assert client.post("/admin/jobs/other/1/retry").status_code == 404


def test_a_job_of_rqs_failed_registry_is_requeued(make_app, world, redis_url):
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    app = make_app(REDIS_URL=redis_url)
    connection = Redis.from_url(redis_url)
    queue = Queue("escalation", connection=connection)
    job = queue.enqueue("hotline.sla.jobs.sweep")
    queue.remove(job)
    registry = FailedJobRegistry(queue=queue)
    registry.add(job, exc_string="Traceback\nRuntimeError: redis boom")
    client = _signed_in(app)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "时限巡检" in page and "任务队列（Redis）" in page
    assert client.post(f"/admin/jobs/rq/{job.id}/retry").status_code == 303
    assert job.id not in registry and job.id in queue.job_ids
    assert [e.object_id for e in _audits(app, "failed_job.retry")] == [f"rq:{job.id}"]
    assert client.post("/admin/jobs/rq/no-such-job/retry").status_code == 404
