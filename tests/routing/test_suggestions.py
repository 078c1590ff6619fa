"""Dispatch suggestions learned from a small history written for these tests."""

import itertools
import json

from sqlalchemy import select

from hotline.categories import services as categories
from hotline.core import clock
from hotline.extensions import db
from hotline.routing import jobs
from hotline.routing.models import DispatchSuggestion, SuggestionModel

# A tiny centre: street lights (城管, DEPT-C), food safety (市场监管, DEPT-B), pensions (人社, DEPT-A).
PLACES = ["东湖路", "西山大道", "滨江小区", "人民广场", "解放北路", "朝阳新村"]
TOPICS = {
    "CITY.LIGHT": (
        "DEPT-C",
        ["路灯不亮", "路灯坏了晚上一片漆黑", "路灯杆倾斜快倒了", "路灯白天一直亮着浪费电"],
    ),
    "MKT.FOOD": (
        "DEPT-B",
        ["超市卖过期食品", "餐馆后厨卫生很差有老鼠", "买到的牛奶已经变质", "商店出售三无食品"],
    ),
    "SOC.PEN": (
        "DEPT-A",
        ["养老金本月没有到账", "退休工资发放推迟", "养老保险缴费年限查询不对", "领取养老金资格认证办不了"],
    ),
}


def _history_lines():
    n = itertools.count(1)
    for code, (unit, phrases) in TOPICS.items():
        for place, phrase in itertools.product(PLACES[:3], phrases):
            yield {
                "id": f"h{next(n)}",
                "content": f"{place}附近{phrase}，希望有关部门尽快处理。",
                "created_at": "2025-06-01T08:00:00+08:00",
                "category": code,
                "lead_unit": unit,
                "area": "D1",
            }


def _setup_categories(app):
    with app.app_context():
        now = clock.now()
        categories.create_category(actor=None, now=now, code="CITY", name="城乡建设")
        categories.create_category(actor=None, now=now, code="CITY.LIGHT", name="路灯照明", parent_code="CITY")
        categories.create_category(
            actor=None, now=now, code="MKT.FOOD", name="食品安全", parent_code="SOC", default_lead_unit="DEPT-B"
        )
        db.session.commit()


def _suggest(client, content, **extra):
    return client.post("/api/v1/dispatch/suggest", json={"content": content, **extra})


def test_suggestions_from_history_the_catalogue_alone_returns_and_what_dispatch_records(world, app, tmp_path):
    _setup_categories(app)
    dispatcher = world.client("dispatcher")

    # No history: the catalogue alone (the category's default lead unit), no categories.
    r = _suggest(dispatcher, "养老金没到账", category="SOC.PEN")
    assert r.status_code == 200, r.json
    assert r.json == {
        "categories": [],
        "units": [{"code": "DEPT-A", "name": "市人力资源和社会保障局", "score": 1.0, "source": "catalogue"}],
    }
    assert _suggest(dispatcher, "养老金没到账").json == {"categories": [], "units": []}
    # Bad input: the field at fault, nothing else.
    for body, field in (
        ({"content": ""}, "content"),
        ({"content": "路灯", "area": "DEPT-A"}, "area"),
        ({"content": "路灯", "category": "NOPE"}, "category"),
        ({"content": "路灯", "extra": 1}, "extra"),
    ):
        bad = dispatcher.post("/api/v1/dispatch/suggest", json=body)
        assert bad.status_code == 422 and bad.json["error"]["field"] == field, (body, bad.json)

    # The history, imported through the product's command, then trained by the command.
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in _history_lines()), encoding="utf-8")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tickets", "import-history", str(path)]).exit_code == 0
    r = runner.invoke(args=["routing", "train"])
    assert r.exit_code == 0 and "36 条样本，3 个分类，3 个单位" in r.output, r.output
    assert "没有新的历史工单" in runner.invoke(args=["routing", "train"]).output  # nothing new: not retrained
    assert jobs_retrain(app) is None

    r = _suggest(dispatcher, "我家楼下的路灯坏了三天了，晚上很黑", area="D1")
    assert r.status_code == 200
    cats, units = r.json["categories"], r.json["units"]
    assert [c["code"] for c in cats][:1] == ["CITY.LIGHT"] and len(cats) == 3
    assert cats[0]["name"] == "城乡建设 / 路灯照明" and all(0 <= c["score"] <= 1 for c in cats)
    assert [c["score"] for c in cats] == sorted((c["score"] for c in cats), reverse=True)
    assert units[0]["code"] == "DEPT-C" and units[0]["source"] == "history" and len(units) >= 3
    food = _suggest(world.client("operator"), "菜市场有人卖变质的肉和过期食品").json
    assert food["categories"][0]["code"] == "MKT.FOOD"
    assert food["units"][0] == {**food["units"][0], "code": "DEPT-B", "source": "history+catalogue"}

    # The pages: the intake form's script (JSON) and the dispatcher's ticket page.
    web = app.test_client()
    assert web.post("/login", data={"username": "operator", "password": "password-123"}).status_code == 302
    r = web.post("/ui/dispatch/suggest", data={"content": "晚上路灯不亮很危险", "area": "", "category": ""})
    assert r.status_code == 200 and r.json["units"][0]["source_label"] == "历史学习", r.json
    bad = web.post("/ui/dispatch/suggest", data={"content": " ", "area": "", "category": ""})
    assert bad.status_code == 422 and bad.json["error"]["message_zh"] == "内容：不能为空"
    pending = world.ticket("pending_dispatch", category="CITY.LIGHT", content="东湖路路灯全部不亮")
    assert web.post("/logout").status_code in (302, 303)
    assert web.post("/login", data={"username": "dispatcher", "password": "password-123"}).status_code == 302
    page = web.get(f"/tickets/{pending}").get_data(as_text=True)
    assert 'data-unit="DEPT-C">市城市管理局</button>' in page and "历史学习" in page

    # Each dispatch records what was suggested and whether it was followed (the periodic job).
    followed = world.ticket("dispatched", lead="DEPT-C", category="CITY.LIGHT", content="小区路灯不亮，晚上看不见路")
    not_followed = world.ticket("dispatched", lead="DEPT-A", category="CITY.LIGHT", content="路灯坏了一整条街都黑")
    with app.app_context():
        assert jobs.record_dispatches() >= 2
        assert jobs.record_dispatches() == 0  # each once
        rows = {r.ticket_id: r for r in db.session.scalars(select(DispatchSuggestion))}
        by_number = {world.get(n).id: n for n in (followed, not_followed)}
        outcome = {by_number[t]: (r.rank, r.is_followed, r.suggested[0]["code"]) for t, r in rows.items()}
        model_id = db.session.scalar(select(SuggestionModel.id))
        assert all(r.model_id == model_id for r in rows.values())
    assert outcome[followed] == (1, True, "DEPT-C")
    assert outcome[not_followed][1] is False and outcome[not_followed][2] == "DEPT-C"

    # A unit that returns a kind of ticket stops being suggested for it: DEPT-C kept twelve
    # street-light tickets in the history, then returns seven (each counts two against it).
    for i in range(7):
        world.ticket("returned", lead="DEPT-C", category="CITY.LIGHT", content=f"路灯不亮第{i}次反映")
    assert jobs_retrain(app) is not None  # the history changed: the job trains again
    light = _suggest(dispatcher, "我家楼下的路灯坏了三天了，晚上很黑", area="D1").json
    assert light["categories"][0]["code"] == "CITY.LIGHT"
    assert "DEPT-C" not in [u["code"] for u in light["units"]]
    # The catalogue still proposes its unit, whatever the history says.
    food = _suggest(dispatcher, "菜市场有人卖变质的肉和过期食品").json
    assert food["units"][0]["code"] == "DEPT-B"


def jobs_retrain(app):
    with app.app_context():
        return jobs.retrain()
