"""The dispatch catalogue (派单目录): versions, effective dates, the admin pages, and its answer
proposed first at dispatch."""

from datetime import date

from sqlalchemy import select

from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from hotline.routing import catalogue
from hotline.routing.models import CatalogueRuleVersion

BASIS = "《市城市管理局职能配置》第三条：负责市区道路照明设施的管理和维护。"


def _signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def test_catalogue_rules_versions_dates_pages_and_the_answer_at_dispatch(world, app):
    admin = _signed_in(app, "admin")
    form = {
        "category": "SOC.PEN",
        "area": "D1",
        "keywords": "路灯，照明",
        "lead_unit": "DEPT-C",
        "assist_units": ["DEPT-B"],
        "basis": BASIS,
        "effective_from": "2020-01-01",
        "effective_to": "",
    }
    # Refused forms change nothing and say why, in Chinese, by field.
    for bad, message in (
        ({"lead_unit": ""}, "主办单位"),
        ({"effective_to": "2019-12-31"}, "失效日期不能早于生效日期"),
        ({"effective_from": "昨天"}, "生效日期"),
        ({"area": "DEPT-A"}, "区域应为区或镇街"),
        ({"assist_units": ["DEPT-C"]}, "主办单位不能同时是协办单位"),
        ({"basis": ""}, "职责依据"),
    ):
        r = admin.post("/admin/catalogue/new", data=form | bad)
        assert r.status_code == 422 and message in r.get_data(as_text=True), bad
    with app.app_context():
        assert catalogue.list_rules() == []
    r = admin.post("/admin/catalogue/new", data=form)
    assert r.status_code == 303
    with app.app_context():
        rule_id = catalogue.list_rules()[0].id
    page = admin.get("/admin/catalogue").get_data(as_text=True)
    assert "东城区" in page and "生效中" in page and "第 1 版" in page

    # An edit is a new version; the old one can still be shown whole.
    r = admin.post(f"/admin/catalogue/{rule_id}/edit", data=form | {"lead_unit": "DEPT-A", "assist_units": []})
    assert r.status_code == 303
    assert (
        admin.post(
            f"/admin/catalogue/{rule_id}/edit", data=form | {"lead_unit": "DEPT-A", "assist_units": []}
        ).status_code
        == 303
    )
    history = admin.get(f"/admin/catalogue/{rule_id}/history").get_data(as_text=True)
    assert "第 2 版（当前）" in history and "主办单位、协办单位" in history and "第 3 版" not in history
    old = admin.get(f"/admin/catalogue/{rule_id}/history?version=1").get_data(as_text=True)
    assert "市城市管理局" in old and BASIS in old and "市市场监督管理局" in old
    assert admin.get(f"/admin/catalogue/{rule_id}/history?version=9").status_code == 404
    assert admin.get("/admin/catalogue/999/edit").status_code == 404
    with app.app_context():
        versions = db.session.scalars(select(CatalogueRuleVersion).order_by(CatalogueRuleVersion.version)).all()
        assert [(v.version, v.values["lead_unit"], v.changed_by.username) for v in versions] == [
            (1, "DEPT-C", "admin"),
            (2, "DEPT-A", "admin"),
        ]
        audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "catalogue_rule")).all()
        assert audited == ["catalogue_rule.create", "catalogue_rule.update"]

    # Effective dates, area (a town counts for its district) and keywords decide whether it applies.
    with app.app_context():
        rules = catalogue.active_rules()
        now = clock.now()
        assert catalogue.answer(rules, category="SOC.PEN", areas={"D1"}, text="路灯不亮", now=now).lead_unit == "DEPT-A"
        assert catalogue.answer(rules, category="SOC.PEN", areas={"D2"}, text="路灯不亮", now=now) is None
        assert catalogue.answer(rules, category="SOC.PEN", areas={"D1"}, text="养老金", now=now) is None
        rule = catalogue.get(rule_id)
        catalogue.update_rule(rule, actor=None, now=now, values={"effective_to": date(2021, 12, 31)})
        db.session.commit()
        assert (
            catalogue.answer(catalogue.active_rules(), category="SOC.PEN", areas={"D1"}, text="路灯", now=now) is None
        )
        catalogue.update_rule(rule, actor=None, now=now, values={"effective_to": None, "lead_unit": "DEPT-C"})
        db.session.commit()

    # The dispatcher's page: the catalogue's answer first, with its basis, preselected (the
    # world's tickets are in D1-T1, a town of D1).
    number = world.ticket("pending_dispatch", content="东湖路的路灯坏了")
    page = _signed_in(app, "dispatcher").get(f"/tickets/{number}").get_data(as_text=True)
    assert "派单目录：</strong>市城市管理局" in page and BASIS in page
    assert '<option value="DEPT-C" selected>' in page
    r = world.client("dispatcher").post(
        "/api/v1/dispatch/suggest", json={"content": "路灯坏了", "area": "D1-T1", "category": "SOC.PEN"}
    )
    assert r.json["units"][0] == {"code": "DEPT-C", "name": "市城市管理局", "score": 1.0, "source": "catalogue"}
    # Without the keywords the category's default lead unit answers.
    r = world.client("dispatcher").post(
        "/api/v1/dispatch/suggest", json={"content": "养老金", "area": "D1-T1", "category": "SOC.PEN"}
    )
    assert r.json["units"][0]["code"] == "DEPT-A"


def test_a_unit_that_returned_the_ticket_is_not_proposed_for_it_again(world, app):
    with app.app_context():
        catalogue.create_rule(
            actor=None,
            now=clock.now(),
            values={"category": "SOC.PEN", "lead_unit": "DEPT-C", "basis": BASIS, "effective_from": date(2020, 1, 1)},
        )
        db.session.commit()
    number = world.ticket("returned", lead="DEPT-C", content="东湖路的路灯坏了")
    page = _signed_in(app, "dispatcher").get(f"/tickets/{number}").get_data(as_text=True)
    assert "该单位已退回过此工单" in page and '<option value="DEPT-C" selected>' not in page
    assert 'data-unit="DEPT-C"' not in page  # not among the ranked units either
