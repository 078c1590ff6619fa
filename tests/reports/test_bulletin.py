"""The monthly bulletin (运行情况通报): the public JSON, publish and freeze, dated
corrections, the Excel file against the JSON, the CLI, the charts, and who sees what."""

from __future__ import annotations

import io
import json
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.ft2font import FT2Font
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from hotline.audit.models import AuditEvent
from hotline.core.errors import Conflict, InvalidInput
from hotline.extensions import db
from hotline.reports import bulletins, charts, monthly, render_xlsx, services
from hotline.reports.bulletin_models import Bulletin, BulletinCorrection
from hotline.tickets import services as tickets

from ..conftest import _build_world, world_on
from .bulletin_helpers import handled, nov

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # November is over
PUBLIC_UNIT_KEYS = {
    "code", "name", "level", "received", "accepted_on_time_rate", "replied_on_time_rate", "early_rate",
    "satisfaction_rate", "resolution_rate", "returned", "reopened", "extensions", "yellow_cards", "red_cards",
    "exempted", "score", "rank",
}  # fmt: skip


DEC_CONFIG = {"CLOCK": lambda: NOW, "TOPICS_TERMS_INLINE": True}  # terms written at intake, as with Redis


def _build_november(database):
    """DEPT-A: one replied on time (satisfied), one replied late; DEPT-B: one replied on time,
    not yet called back."""

    def build(app):
        world = world_on(app, database)
        return {
            "on_time": handled(
                world, lead="DEPT-A", at=nov(10), reply_after=timedelta(hours=5), satisfaction="satisfied"
            ),
            "late": handled(world, lead="DEPT-A", at=nov(12), reply_after=timedelta(hours=40)),
            "b_replied": handled(world, lead="DEPT-B", at=nov(20), reply_after=timedelta(hours=3)),
        }

    return build


@pytest.fixture
def dec_app(make_app, database, request):
    """3 December, on the world; with the three November tickets when the test asks for them
    (built once per session into a template)."""
    database.ensure("world", _build_world)
    if "november" not in request.fixturenames:
        return make_app("world", **DEC_CONFIG)
    database.ensure("bulletin-november", _build_november(database), base="world", **DEC_CONFIG)
    return make_app("bulletin-november", **DEC_CONFIG)


@pytest.fixture
def dec_world(dec_app, database):
    return world_on(dec_app, database)


@pytest.fixture
def november(dec_app, dec_world, database):
    return dict(database.records["bulletin-november"])


def unit(doc: dict, code: str) -> dict:
    return next(u for u in doc["units"] if u["code"] == code)


# --- the public document ------------------------------------------------------------


def test_the_document_has_the_public_keys_and_rates_are_fractions(dec_app, november):
    with dec_app.app_context():
        doc = monthly.compute("2026-11", now=NOW)
    assert doc["month"] == "2026-11" and doc["published"] is False
    assert {"received", "answered_on_call_rate", "first_dispatch_accuracy"} <= set(doc["centre"])
    assert isinstance(doc["hot_topics"], list) and isinstance(doc["spikes"], list)
    assert doc["units"] and all(set(u) >= PUBLIC_UNIT_KEYS for u in doc["units"])
    for u in doc["units"]:
        for key in PUBLIC_UNIT_KEYS:
            if key.endswith("_rate") and u[key] is not None:
                assert 0 <= u[key] <= 1, (u["code"], key, u[key])
    a = unit(doc, "DEPT-A")
    assert a["received"] == 2
    assert a["replied_on_time_rate"] == 0.5  # one of two replied in time
    # A unit with no tickets: rates are null, never a division by zero.
    assert unit(doc, "D2")["received"] == 0 and unit(doc, "D2")["replied_on_time_rate"] is None
    assert [t["month"] for t in doc["trend"]][-1] == "2026-11" and len(doc["trend"]) == 12
    assert doc["definitions"] and all(d["name"] and d["definition"] for d in doc["definitions"])
    json.dumps(doc)  # JSON as it is


def test_a_month_not_over_is_computed_as_of_now(dec_app, dec_world):
    with dec_app.app_context():
        doc = monthly.compute("2026-12", now=NOW)
    assert doc["period"]["complete"] is False and doc["as_of"].startswith("2026-12-03T10:00")


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "abc", "", "2027-01", "2026-11-01"])
def test_a_bad_or_future_month_is_a_clear_error(dec_app, dec_world, month):
    with dec_app.app_context(), pytest.raises(InvalidInput) as exc:
        monthly.compute(month, now=NOW)
    assert exc.value.field == "month" and exc.value.message_zh


# --- publish, freeze, correct ---------------------------------------------------------


def _publish(app, world, month="2026-11"):
    with app.app_context():
        bulletin = bulletins.publish(month, actor=world.user("supervisor"), now=NOW)
        db.session.commit()
        return bulletin.id


def test_publish_refuses_a_month_not_over_and_a_second_time(dec_app, dec_world, november):
    with dec_app.app_context():
        with pytest.raises(Conflict) as not_over:
            bulletins.publish("2026-12", actor=dec_world.user("supervisor"), now=NOW)
        assert not_over.value.code == "month_not_over"
        db.session.rollback()
    _publish(dec_app, dec_world)
    with dec_app.app_context():
        with pytest.raises(Conflict) as again:
            bulletins.publish("2026-11", actor=dec_world.user("supervisor"), now=NOW + timedelta(hours=1))
        assert again.value.code == "already_published"
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 1
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "bulletin")).all()
        assert actions == ["bulletin.publish"]


def test_the_database_refuses_to_change_a_published_bulletin(dec_app, dec_world, november):
    bulletin_id = _publish(dec_app, dec_world)
    with dec_app.app_context():
        for statement in (
            "UPDATE bulletins SET title = 'x' WHERE id = :id",
            "DELETE FROM bulletins WHERE id = :id",
        ):
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement), {"id": bulletin_id})
            db.session.rollback()
        assert db.session.get(Bulletin, bulletin_id).title.startswith("12345")


def _exempt(app, world, number, *, at):
    with app.app_context():
        services.ensure_default_reasons(now=at)
        ticket = world.get(number)
        exemption = services.request_exemption(
            ticket, actor=world._staff_of(ticket.lead_unit.code), now=at, reason_code="force_majeure", note="暴雨停电"
        )
        services.decide_exemption(
            exemption, actor=world.user("supervisor"), now=at + timedelta(hours=1), approve=True, note=None
        )
        db.session.commit()


def test_publish_freezes_and_a_late_exemption_shows_as_a_dated_correction(dec_app, dec_world, november):
    bulletin_id = _publish(dec_app, dec_world)
    with dec_app.app_context():
        stored = json.loads(json.dumps(db.session.get(Bulletin, bulletin_id).document))
    assert stored["published"] is True and unit(stored, "DEPT-A")["replied_on_time_rate"] == 0.5

    # A week later DEPT-A's late ticket is exempted (考核免责): the month computed now differs.
    later = NOW + timedelta(days=7)
    _exempt(dec_app, dec_world, november["late"], at=later)
    with dec_app.app_context():
        fresh = monthly.compute("2026-11", now=later)
        assert unit(fresh, "DEPT-A")["replied_on_time_rate"] == 1.0 and unit(fresh, "DEPT-A")["overdue"] == 0
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert json.loads(json.dumps(bulletin.document)) == stored  # frozen: nothing recomputed it

    # Read back: still the published figures, with no correction yet.
    staff = dec_world.client("staff_a")
    got = staff.get("/api/v1/reports/bulletins/2026-11").json
    assert unit(got, "DEPT-A")["replied_on_time_rate"] == 0.5 and got["corrections"] == []

    # The supervisor checks: the differences become one dated correction.
    r = dec_world.client("supervisor").post(
        "/api/v1/reports/bulletins/2026-11/corrections", json={"note": "免责审批后核对"}
    )
    assert r.status_code == 201, r.json
    changes = {(c["code"], c["key"]): (c["was"], c["now"]) for c in r.json["correction"]["changes"]}
    assert changes[("DEPT-A", "replied_on_time_rate")] == (0.5, 1.0)
    assert changes[("DEPT-A", "overdue")] == (1, 0)
    assert ("DEPT-B", "received") not in changes  # only what changed
    assert r.json["correction"]["recorded_at"].startswith("2026-12-03")  # the test clock's now

    with dec_app.app_context():
        assert json.loads(json.dumps(db.session.get(Bulletin, bulletin_id).document)) == stored
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "bulletin").order_by(AuditEvent.id)
        ).all()
        assert actions == ["bulletin.publish", "bulletin.correct"]
    got = staff.get("/api/v1/reports/bulletins/2026-11").json
    assert unit(got, "DEPT-A")["replied_on_time_rate"] == 0.5  # the figures as published...
    assert got["corrections"][0]["changes"] == r.json["correction"]["changes"]  # ...and the correction beside them

    # Shown on the page with its date, and in the Excel file.
    page = _sign_in(dec_app, "staff_a").get("/reports/bulletins/2026-11").get_data(as_text=True)
    line = '<span class="b-date">2026-12-03</span> 更正：市人力资源和社会保障局 按期办结率 由 50.0% 更正为 100.0%'
    assert line in page
    x = staff.get("/api/v1/reports/bulletins/2026-11?format=xlsx")
    sheet = load_workbook(io.BytesIO(x.data))["更正"]
    rows = list(sheet.iter_rows(min_row=render_xlsx.HEADER_ROW + 1, values_only=True))
    assert ("2026-12-03", "市人力资源和社会保障局", "按期办结率", "50.0%", "100.0%") in rows

    # Checking again finds nothing new: no second row.
    again = dec_world.client("supervisor").post("/api/v1/reports/bulletins/2026-11/corrections")
    assert again.status_code == 200 and again.json["correction"] is None
    with dec_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BulletinCorrection)) == 1


def test_a_reopen_after_publishing_leaves_the_published_month_alone(dec_app, dec_world, november):
    """A reopen (重办) counts in the month it happens (definitions.py): a December reopen of a
    ticket replied in November leaves November's figures, stored and fresh, as they were;
    it shows in December's."""
    bulletin_id = _publish(dec_app, dec_world)
    with dec_app.app_context():
        stored = json.loads(json.dumps(db.session.get(Bulletin, bulletin_id).document))
        ticket = dec_world.get(november["b_replied"])
        tickets.callback(
            ticket,
            actor=dec_world.user("operator"),
            now=NOW + timedelta(hours=2),
            satisfaction="dissatisfied",
            resolved=False,
        )
        db.session.commit()
        assert ticket.reopen_count == 1 and ticket.status == "dispatched"  # back to the unit
        bulletin = db.session.get(Bulletin, bulletin_id)
        assert json.loads(json.dumps(bulletin.document)) == stored
        assert (
            bulletins.record_corrections(bulletin, actor=dec_world.user("supervisor"), now=NOW + timedelta(hours=3))
            is None
        )
        december = monthly.compute("2026-12", now=NOW + timedelta(hours=3))
        assert unit(december, "DEPT-B")["reopened"] == 1 and unit(december, "DEPT-B")["satisfaction_rate"] == 0.0
        db.session.commit()


def test_the_periodic_check_records_corrections_once(dec_app, dec_world, november):
    _publish(dec_app, dec_world)
    _exempt(dec_app, dec_world, november["late"], at=NOW)
    with dec_app.app_context():
        assert bulletins.check_published() == 1
        assert bulletins.check_published() == 0  # safe to run twice
        correction = db.session.scalar(select(BulletinCorrection))
        assert correction.recorded_by_id is None and correction.note == "定期核对"


# --- the Excel file, cell by cell against the JSON ---------------------------------------


def test_the_excel_file_holds_the_json_figures_ready_to_print(dec_app, november):
    with dec_app.app_context():
        doc = monthly.compute("2026-11", now=NOW)
    wb = load_workbook(io.BytesIO(render_xlsx.render(doc)))
    header = render_xlsx.HEADER_ROW
    seen = set()
    for level in monthly.LEVELS:
        rows = [u for u in doc["units"] if u["level"] == level["key"]]
        if not rows:
            continue
        ws = wb[f"{level['label']}单位"]
        assert [c.value for c in ws[header]] == [label for _k, label, _t in monthly.unit_columns()]
        by_name = {r[1]: r for r in ws.iter_rows(min_row=header + 1, values_only=True)}
        assert len(by_name) == len(rows)
        for u in rows:
            cells = by_name[u["name"]]
            assert list(cells) == [u[key] for key, _label, _kind in monthly.unit_columns()], u["code"]
            seen.add(u["code"])
        rate_col = [k for k, _l, _t in monthly.unit_columns()].index("replied_on_time_rate") + 1
        assert ws.cell(row=header + 1, column=rate_col).number_format == "0.0%"
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == f"${header}:${header}" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert seen == {u["code"] for u in doc["units"]}

    summary = wb["概要"]
    values = {(r[0], r[1]): r[2] for r in summary.iter_rows(min_row=header + 1, values_only=True)}
    for key, label, _kind in monthly.centre_rows():
        assert values[("热线中心", label)] == doc["centre"][key]
    for key, label, _kind in monthly.summary_rows():
        assert values[("成员单位合计", label)] == doc["summary"][key]

    trend = [r for r in wb["受理量走势"].iter_rows(min_row=header + 1, values_only=True)]
    assert trend == [(t["month"], t["received"], t["answered_on_call"]) for t in doc["trend"]]
    types = {r[0]: r[1] for r in wb["诉求类型"].iter_rows(min_row=header + 1, values_only=True)}
    assert types == {r["label"]: r["count"] for r in doc["volume"]["by_request_type"]}
    # Native charts, with Chinese titles.
    assert len(wb["受理量走势"]._charts) == 1 and len(wb["诉求类型"]._charts) == 1
    title = wb["诉求类型"]._charts[0].title.tx.rich.p[0].r[0].t
    assert title == "诉求类型"
    assert {d["name"] for d in doc["definitions"]} == {
        r[0] for r in wb["指标说明"].iter_rows(min_row=header + 1, values_only=True)
    }


# --- the charts ----------------------------------------------------------------------------


def test_every_chart_draws_its_chinese_labels_with_the_cjk_font(dec_app, november):
    with dec_app.app_context():
        doc = monthly.compute("2026-11", now=NOW)
    font = FT2Font(charts.FONT_PATH)
    for name, (title, _draw) in charts.CHARTS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
            svg = charts.draw(name, doc)
        assert svg.startswith(b"<?xml") and b"<svg" in svg, name
        # Text is drawn as the CJK font's glyph paths (ids by glyph index), never as <text>
        # that a viewer without the font would show as boxes.
        assert b"<text" not in svg
        for char in title.replace("、", "")[:4]:
            glyph = font.get_char_index(ord(char))
            assert glyph and f'id="WenQuanYiMicroHei-{glyph:x}"'.encode() in svg, (name, char)
        assert charts.draw(name, doc) == svg, "the same figures draw the same bytes"


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "out"  # tmp_path holds the test's database too
    folder.mkdir()
    return folder


def test_the_cli_writes_each_format(dec_app, november, out_dir):
    runner = dec_app.test_cli_runner()
    out = {}
    for fmt in ("json", "xlsx", "html"):
        path = out_dir / f"bulletin.{fmt}"
        r = runner.invoke(args=["report", "monthly", "--month", "2026-11", "--format", fmt, "--out", str(path)])
        assert r.exit_code == 0, r.output
        assert "computed as of" in r.output
        out[fmt] = path.read_bytes()
    doc = json.loads(out["json"])
    with dec_app.app_context():
        assert doc == json.loads(json.dumps(monthly.compute("2026-11", now=NOW)))
    wb = load_workbook(io.BytesIO(out["xlsx"]))
    assert "市级部门单位" in wb.sheetnames
    html = out["html"].decode("utf-8")
    assert doc["title"] in html and "市人力资源和社会保障局" in html
    assert html.count('src="data:image/svg+xml;base64,') == len(charts.CHARTS)  # one file, nothing to fetch
    assert sorted(p.name for p in out_dir.iterdir()) == ["bulletin.html", "bulletin.json", "bulletin.xlsx"]


def test_the_cli_gives_the_published_bulletin_once_published(dec_app, dec_world, november, out_dir):
    _publish(dec_app, dec_world)
    path = out_dir / "b.json"
    r = dec_app.test_cli_runner().invoke(
        args=["report", "monthly", "--month", "2026-11", "--format", "json", "--out", str(path)]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["published"] is True and doc["corrections"] == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--month", "2026-13"], "YYYY-MM"),
        (["--month", "11/2026"], "YYYY-MM"),
        (["--month", "2027-02"], "not begun"),
        (["--month", "2026-11", "--format", "pdf"], "pdf"),
    ],
)
def test_the_cli_refuses_bad_input_and_writes_nothing(dec_app, dec_world, out_dir, args, fragment):
    path = out_dir / "out.json"
    r = dec_app.test_cli_runner().invoke(args=["report", "monthly", *args, "--out", str(path)])
    assert r.exit_code != 0 and fragment in r.output, r.output
    assert list(out_dir.iterdir()) == []


def test_the_cli_refuses_a_missing_folder(dec_app, dec_world, out_dir):
    r = dec_app.test_cli_runner().invoke(
        args=["report", "monthly", "--month", "2026-11", "--out", str(out_dir / "nowhere" / "b.json")]
    )
    assert r.exit_code != 0 and "no such directory" in r.output
    assert list(out_dir.iterdir()) == []


# --- who sees what, through the API and the pages ------------------------------------------


def test_units_see_published_bulletins_and_never_previews(dec_app, dec_world, november):
    staff = dec_world.client("staff_b")
    assert staff.get("/api/v1/reports/bulletins/2026-11/preview").status_code == 403
    assert staff.get("/api/v1/reports/bulletins/2026-11").status_code == 404  # not published yet
    preview = dec_world.client("supervisor").get("/api/v1/reports/bulletins/2026-11/preview")
    assert preview.status_code == 200 and preview.json["published"] is False
    published = dec_world.client("supervisor").post("/api/v1/reports/bulletins/2026-11/publish")
    assert published.status_code == 201 and published.json["published"] is True
    r = staff.get("/api/v1/reports/bulletins/2026-11")
    assert r.status_code == 200 and r.json["units"] == published.json["units"]
    # Every figure, but no other unit's ticket numbers: DEPT-A's overdue ticket is named by
    # its unit only; hot topics and spikes list no tickets.
    overdue = published.json["worst_overdue"]
    assert [o["number"] for o in overdue] == [november["late"]]
    assert [(o["unit_code"], o["number"]) for o in r.json["worst_overdue"]] == [("DEPT-A", None)]
    assert published.json["hot_topics"][0]["tickets"]  # the three 养老金 tickets make a topic
    assert [t["tickets"] for t in r.json["hot_topics"]] == [[]] * len(published.json["hot_topics"])
    own = dec_world.client("staff_a").get("/api/v1/reports/bulletins/2026-11").json
    assert [o["number"] for o in own["worst_overdue"]] == [november["late"]]
    assert [b["month"] for b in staff.get("/api/v1/reports/bulletins").json["items"]] == ["2026-11"]
    x = staff.get("/api/v1/reports/bulletins/2026-11?format=xlsx")
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in x.headers["Content-Disposition"]
    assert staff.get("/api/v1/reports/bulletins/2026-11?format=pdf").status_code in (400, 422)
    assert dec_world.client("operator").get("/api/v1/reports/bulletins").status_code == 403


def test_bad_months_in_the_api_are_clear_errors(dec_app, dec_world):
    supervisor = dec_world.client("supervisor")
    for month in ("2026-13", "abc", "2027-01"):
        r = supervisor.get(f"/api/v1/reports/bulletins/{month}/preview")
        assert r.status_code == 422 and r.json["error"]["field"] == "month" and r.json["error"]["message_zh"]
        r = supervisor.post(f"/api/v1/reports/bulletins/{month}/publish")
        assert r.status_code == 422
    r = supervisor.post("/api/v1/reports/bulletins/2026-12/publish")
    assert r.status_code == 409 and r.json["error"]["code"] == "month_not_over"
    with dec_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bulletin)) == 0


def _sign_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def test_the_pages_preview_publish_and_show_the_published_bulletin(dec_app, dec_world, november):
    supervisor = _sign_in(dec_app, "supervisor")
    r = supervisor.get("/reports/bulletins?month=2026-11")
    assert r.status_code == 302 and r.headers["Location"].endswith("/reports/bulletins/2026-11")
    page = supervisor.get("/reports/bulletins/2026-11").get_data(as_text=True)
    assert "预览稿，未发布" in page and 'id="publish-form"' in page
    svg = supervisor.get("/reports/bulletins/2026-11/charts/trend.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert supervisor.get("/reports/bulletins/2026-11/charts/nothing.svg").status_code == 404
    assert supervisor.get("/reports/bulletins/2026-99").status_code == 404
    r = supervisor.post("/reports/bulletins/2026-11/publish")
    assert r.status_code == 303
    page = supervisor.get("/reports/bulletins/2026-11").get_data(as_text=True)
    assert "预览稿" not in page and "发布时间" in page and 'id="publish-form"' not in page
    again = supervisor.post("/reports/bulletins/2026-11/publish", follow_redirects=True).get_data(as_text=True)
    assert "不能重新发布" in again
    # Each unit figure links to the tickets behind it (the figures' drill-down).
    link = "/reports/tickets?month=2026-11&amp;figure=replied_on_time_rate&amp;unit=DEPT-A"
    assert link in page
    behind = supervisor.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert november["on_time"] in behind and november["late"] not in behind  # the numerator: on time
    staff = _sign_in(dec_app, "staff_b")
    staff_page = staff.get("/reports/bulletins/2026-11").get_data(as_text=True)
    assert "市市场监督管理局" in staff_page
    assert "unit=DEPT-B" in staff_page and "unit=DEPT-A" not in staff_page  # links to its own figures only
    assert staff.get("/reports/bulletins/2026-12").status_code == 404  # a preview
    assert staff.get("/reports/bulletins/2026-12/charts/trend.svg").status_code == 404
    x = staff.get("/reports/bulletins/2026-11/export?format=xlsx")
    assert x.status_code == 200 and load_workbook(io.BytesIO(x.data)).sheetnames[0] == "概要"
