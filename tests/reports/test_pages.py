"""The reports pages: the numbers shown link to their tickets; bad input is a 4xx in Chinese;
the exemption forms on the ticket page and the exemptions page."""

from __future__ import annotations

import re
from html import unescape

from .helpers import exemption, exemption_count, ticket_for_exemption


def signed_in(world, user):
    client = world.app.test_client()
    assert client.post("/login", data={"username": user, "password": "password-123"}).status_code == 302
    return client


def test_the_figures_table_links_every_number_to_its_tickets(world, november):
    client = signed_in(world, "supervisor")
    r = client.get("/reports?month=2026-11")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "考核报表 · 2026年11月" in html and "市人力资源和社会保障局" in html
    assert "60.5" in html and "65.7" in html  # the scores
    links = [unescape(h) for h in re.findall(r'href="(/reports/tickets\?[^"]+)"', html)]
    assert len(links) > 50
    # Each link's page says how many tickets it lists: the same number the table shows.
    a_received = next(h for h in links if "figure=received" in h and "unit=DEPT-A" in h)
    page = client.get(a_received).get_data(as_text=True)
    assert "接收工单数" in page and "· 8 件" in page
    overdue = next(h for h in links if "figure=reply_overdue" in h and "unit=DEPT-A" in h)
    page = client.get(overdue).get_data(as_text=True)
    assert "· 2 件" in page and november["T3"] in page and november["T12"] in page


def test_one_units_page_for_its_staff(world, november):
    client = signed_in(world, "staff_a")
    r = client.get("/reports?month=2026-11")
    assert r.status_code == 302 and "/reports/units/DEPT-A" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "市人力资源和社会保障局 · 考核指标 · 2026年11月" in html and "60.5" in html and "市直部门排名 2" in html
    assert client.get("/reports/units/DEPT-B?month=2026-11").status_code == 404
    r = client.get("/reports/tickets?figure=reply_overdue&unit=DEPT-B&month=2026-11")
    assert r.status_code == 404
    r = client.get("/reports/tickets?figure=centre_received&month=2026-11")
    assert r.status_code == 403


def test_bad_input_on_the_pages_is_refused_in_chinese(world):
    """422 for a well-formed value that is wrong, 400 for one that cannot be read."""
    client = signed_in(world, "supervisor")
    for path, text in (
        ("/reports?month=2026-13", "月份格式应为"),
        ("/reports?from=2026-11-30&to=2026-11-01", "开始日期不能晚于结束日期"),
        ("/reports?unit=NOPE", "单位不存在"),
        ("/reports/units/DEPT-A?month=abc", "月份格式应为"),
        ("/reports/tickets?figure=nonsense", "统计指标不存在"),
        ("/reports/tickets?figure=received&month=2026-11%00", "非法字符"),
    ):
        r = client.get(path)
        assert r.status_code == (400 if "%00" in path else 422), path
        assert text in r.get_data(as_text=True), path
    assert client.get("/reports/units/NOPE").status_code == 404


def test_asking_for_an_exemption_from_the_ticket_page(world):
    number = ticket_for_exemption(world)["number"]
    client = signed_in(world, "staff_a")
    html = client.get(f"/tickets/{number}").get_data(as_text=True)
    assert "申请免责" in html and "不可抗力" in html
    r = client.post("/reports/exemptions", data={"ticket": number, "reason": "force_majeure", "note": ""})
    assert r.status_code == 303 and exemption_count(world) == 0
    assert "免责申请未提交" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post("/reports/exemptions", data={"ticket": number, "reason": "force_majeure", "note": "台风停电"})
    assert r.status_code == 303 and exemption_count(world) == 1
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已提交考核免责申请" in html and "待审核" in html and "申请免责" not in html


def test_deciding_on_the_exemptions_page(world):
    ids = exemption(world)
    client = signed_in(world, "supervisor")
    html = client.get("/reports/exemptions?status=pending").get_data(as_text=True)
    assert ids["number"] in html and "台风停电" in html and "批准" in html
    r = client.post(f"/reports/exemptions/{ids['exemption_id']}/decide", data={"approve": "false"})
    assert r.status_code == 303
    assert "不批准时请填写理由" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post(f"/reports/exemptions/{ids['exemption_id']}/decide", data={"approve": "true", "note": "属实"})
    assert r.status_code == 303
    html = client.get("/reports/exemptions").get_data(as_text=True)
    assert "已批准" in html and "属实" in html
    assert "待审核" not in client.get("/reports/exemptions?status=pending").get_data(as_text=True).split("<tbody>")[1]


def test_admins_save_a_new_scheme_version(world):
    client = signed_in(world, "admin")
    html = client.get("/reports/scheme").get_data(as_text=True)
    assert "默认考核方案（第 0 版）" in html and "保存为新版本" in html
    r = client.post("/reports/scheme", data={"weight_on_time": "50", "note": "试试"})
    assert r.status_code == 422 and "四项权重之和应为 100" in r.get_data(as_text=True)
    r = client.post("/reports/scheme", data={"weight_on_time": "abc"})
    assert r.status_code == 422
    r = client.post("/reports/scheme", data={"weight_on_time": "40", "weight_accepted": "0", "note": "加重按期办结"})
    assert r.status_code == 303
    html = client.get("/reports/scheme").get_data(as_text=True)
    assert "已保存考核方案第 1 版" in html and "现行：默认考核方案（第 1 版）" in html
    supervisor = signed_in(world, "supervisor")
    assert "保存为新版本" not in supervisor.get("/reports/scheme").get_data(as_text=True)
    assert supervisor.post("/reports/scheme", data={"weight_on_time": "40", "weight_accepted": "0"}).status_code == 403
