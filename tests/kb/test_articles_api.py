"""Articles through the API: writing, review, publishing by another editor, versions, audit,
flags (纠错), synonyms, review dates; bad input changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.audit.models import AuditEvent
from hotline.core import clock
from hotline.extensions import db
from knowledge_base import tasks
from knowledge_base.models import Article, Flag

NEW = {
    "title": "居住证办理",
    "body": "在本市居住满半年并有稳定就业或住所的，可以申领居住证。",
    "category": "SOC.PEN",
    "keywords": ["居住证", "申领"],
    "owner_unit": "DEPT-A",
    "effective_on": "2026-01-01",
    "review_by": "2027-01-01",
}


def _count(app, model=Article):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_write_submit_publish_by_another_editor(world, app):
    with app.app_context():
        world.add_user("kb_editor2", "kb_editor")
        db.session.commit()
    author = world.client("kb_editor")
    r = author.post("/api/v1/kb/articles", json=NEW)
    assert r.status_code == 201, r.json
    article = r.json
    assert article["status"] == "draft" and article["version"] == 1 and article["owner_unit"] == "DEPT-A"
    assert article["category_name"] == "社会保障 / 养老保险" and article["review_by"] == "2027-01-01"
    aid = article["id"]

    assert world.client("admin").post(f"/api/v1/kb/articles/{aid}/publish").status_code == 409  # submit first
    assert author.post(f"/api/v1/kb/articles/{aid}/submit").json["status"] == "in_review"
    r = author.post(f"/api/v1/kb/articles/{aid}/publish")
    assert r.status_code == 403, "the author may not publish their own article"
    assert world.client("operator").get(f"/api/v1/kb/articles/{aid}").status_code == 404

    r = world.client("kb_editor2").post(f"/api/v1/kb/articles/{aid}/publish", json={})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "published" and r.json["allowed_actions"] == ["update", "retire"]
    seen = world.client("operator").get(f"/api/v1/kb/articles/{aid}")
    assert seen.status_code == 200 and [v["action"] for v in seen.json["versions"]] == ["create", "submit", "publish"]
    assert [v["actor"] for v in seen.json["versions"]] == ["kb_editor", "kb_editor", "kb_editor2"]


def test_an_admin_may_publish_their_own_article(world):
    admin = world.client("admin")
    aid = admin.post("/api/v1/kb/articles", json=NEW).json["id"]
    admin.post(f"/api/v1/kb/articles/{aid}/submit")
    assert admin.post(f"/api/v1/kb/articles/{aid}/publish").status_code == 200


def test_versions_say_who_changed_what_and_every_change_is_audited(world, app):
    aid = world.article(status="published")
    editor = world.client("kb_editor")
    r = editor.patch(f"/api/v1/kb/articles/{aid}", json={"title": "社保卡补办（新）", "keywords": ["社保卡"]})
    assert r.status_code == 200, r.json
    last = r.json["versions"][-1]
    assert last["action"] == "update" and last["changed"] == ["title", "keywords"] and last["actor"] == "kb_editor"
    assert last["title"] == "社保卡补办（新）" and r.json["version"] == last["version"]
    assert r.json["versions"][-2]["title"] == "社保卡丢失怎么补办"  # the old text is kept
    r = editor.patch(f"/api/v1/kb/articles/{aid}", json={"category": None, "review_by": "2027-06-30"})
    assert r.json["versions"][-1]["changed"] == ["review_by"]  # category was already empty
    editor.post(f"/api/v1/kb/articles/{aid}/retire")
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "kb_article", AuditEvent.object_id == str(aid))
        ).all()
    assert actions == [
        "kb.article.create",
        "kb.article.submit",
        "kb.article.publish",
        "kb.article.update",
        "kb.article.update",
        "kb.article.retire",
    ]


def test_the_version_history_cannot_be_rewritten(world, app):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    world.article(status="draft")
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(text("UPDATE kb_article_versions SET title = 'x'"))
        db.session.rollback()


def test_retired_articles_cannot_be_edited_or_republished(world):
    aid = world.article(status="retired")
    editor = world.client("kb_editor")
    assert editor.patch(f"/api/v1/kb/articles/{aid}", json={"title": "x"}).status_code == 409
    assert editor.post(f"/api/v1/kb/articles/{aid}/publish").status_code == 409
    assert editor.get(f"/api/v1/kb/articles/{aid}").json["status"] == "retired"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "两行\n标题"}, "title"),
        ({"body": "a\x00b"}, "body"),
        ({"body": 5}, "body"),
        ({"category": "NOPE"}, "category"),
        ({"owner_unit": "NOPE"}, "owner_unit"),
        ({"keywords": "社保"}, "keywords"),
        ({"keywords": ["k"] * 21}, "keywords"),
        ({"effective_on": "next week"}, "effective_on"),
        ({"effective_on": "2027-02-01", "review_by": "2027-01-01"}, "review_by"),
        ({"status": "published"}, "status"),
        ({"external_id": "x" * 129}, "external_id"),
    ],
)
def test_bad_article_bodies_are_422_and_create_nothing(world, app, change, field):
    body = {**NEW, **change}
    body = {k: v for k, v in body.items() if v is not None}
    r = world.client("kb_editor").post("/api/v1/kb/articles", json=body)
    assert r.status_code == 422 and r.json["error"]["field"] == field, r.json
    assert _count(app) == 0


def test_malformed_bodies_and_duplicates(world, app):
    editor = world.client("kb_editor")
    r = editor.post("/api/v1/kb/articles", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert editor.post("/api/v1/kb/articles", json={**NEW, "external_id": "E-1"}).status_code == 201
    r = editor.post("/api/v1/kb/articles", json={**NEW, "external_id": "E-1"})
    assert r.status_code == 409 and r.json["error"]["field"] == "external_id"
    aid = world.article(status="draft")
    r = editor.patch(f"/api/v1/kb/articles/{aid}", json={"review_by": "tomorrow"})
    assert r.status_code == 422 and r.json["error"]["field"] == "review_by"
    r = editor.post(f"/api/v1/kb/articles/{aid}/submit", json={"note": "x"})
    assert r.status_code == 422 and editor.get(f"/api/v1/kb/articles/{aid}").json["status"] == "draft"
    assert editor.get("/api/v1/kb/articles/999999").status_code == 404
    assert _count(app) == 2


def test_lists_show_operators_published_articles_only(world):
    world.article(status="published", title="已发布条目", category="SOC.PEN", owner_unit="DEPT-A")
    world.article(status="draft", title="草稿条目")
    world.article(status="retired", title="已下线条目")
    op = world.client("operator").get("/api/v1/kb/articles")
    assert [i["title"] for i in op.json["items"]] == ["已发布条目"] and op.json["total"] == 1
    assert world.client("operator").get("/api/v1/kb/articles?status=draft").status_code == 403
    assert world.client("operator").get("/api/v1/kb/articles?status=published").status_code == 200
    editor = world.client("kb_editor")
    assert editor.get("/api/v1/kb/articles").json["total"] == 3
    assert [i["title"] for i in editor.get("/api/v1/kb/articles?status=draft").json["items"]] == ["草稿条目"]
    assert editor.get("/api/v1/kb/articles?category=SOC").json["total"] == 1
    assert editor.get("/api/v1/kb/articles?owner_unit=DEPT-B").json["total"] == 0
    assert editor.get("/api/v1/kb/articles?q=草稿").json["total"] == 1
    assert editor.get("/api/v1/kb/articles?q=%25").json["total"] == 0  # LIKE wildcards are literal
    r = editor.get("/api/v1/kb/articles?per_page=101")
    assert r.status_code == 422 and r.json["error"]["field"] == "per_page"


def test_operators_flag_articles_and_editors_resolve_them(world, app):
    aid = world.article(status="published")
    draft = world.article(status="draft")
    op = world.client("operator")
    r = op.post(f"/api/v1/kb/articles/{aid}/flags", json={"kind": "outdated", "note": "补办地点已变更"})
    assert r.status_code == 201, r.json
    assert r.json["kind_label"] == "内容过时" and r.json["created_by"] == "operator" and r.json["status"] == "open"
    assert op.post(f"/api/v1/kb/articles/{draft}/flags", json={"kind": "wrong"}).status_code == 404
    bad = op.post(f"/api/v1/kb/articles/{aid}/flags", json={"kind": "review_due", "note": "到期"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "kind"
    # A flag says what is wrong: no note, an empty or blank one, or one too long is refused.
    for note in ({}, {"note": ""}, {"note": " \n "}, {"note": "长" * 2001}, {"note": None}):
        bad = op.post(f"/api/v1/kb/articles/{aid}/flags", json={"kind": "wrong", **note})
        assert bad.status_code == 422 and bad.json["error"]["field"] == "note", (note, bad.json)
    assert _count(app, Flag) == 1

    editor = world.client("kb_editor")
    flags = editor.get("/api/v1/kb/flags").json["items"]
    assert [f["note"] for f in flags] == ["补办地点已变更"]
    resolved = editor.post(f"/api/v1/kb/flags/{flags[0]['id']}/resolve", json={"resolution": "已更新地址"})
    assert resolved.status_code == 200 and resolved.json["status"] == "resolved"
    assert editor.post(f"/api/v1/kb/flags/{flags[0]['id']}/resolve").status_code == 409
    assert editor.get("/api/v1/kb/flags").json["items"] == []
    assert len(editor.get("/api/v1/kb/flags?status=all").json["items"]) == 1
    assert editor.get("/api/v1/kb/flags?status=maybe").status_code == 422
    assert editor.post("/api/v1/kb/flags/999/resolve").status_code == 404


def test_synonym_groups_are_validated(world):
    editor = world.client("kb_editor")
    r = editor.post("/api/v1/kb/synonyms", json={"terms": ["社保", "社会保险"]})
    assert r.status_code == 201
    gid = r.json["id"]
    clash = editor.post("/api/v1/kb/synonyms", json={"terms": ["社保", "社保费"]})
    assert clash.status_code == 409 and clash.json["error"]["field"] == "terms"
    for terms in (["社保"], ["社保", " 社保 "], [], "社保", ["a\x00"]):
        r = editor.post("/api/v1/kb/synonyms", json={"terms": terms})
        assert r.status_code == 422 and r.json["error"]["field"].startswith("terms"), (terms, r.json)
    r = editor.patch(f"/api/v1/kb/synonyms/{gid}", json={"terms": ["社保", "社会保险", "五险"]})
    assert r.status_code == 200 and r.json["terms"] == ["社保", "社会保险", "五险"]
    assert [g["terms"] for g in editor.get("/api/v1/kb/synonyms").json["items"]] == [["社保", "社会保险", "五险"]]
    assert editor.patch("/api/v1/kb/synonyms/999", json={"terms": ["a", "b"]}).status_code == 404


def test_articles_past_their_review_date_are_listed_and_flagged_once(world, app):
    with app.app_context():  # the app's (frozen) clock, not the machine's: they differ in date after 16:00 UTC
        today = clock.local(clock.now()).date()
    overdue = world.article(status="published", owner_unit="DEPT-A")
    on_the_day = world.article(status="published", title="今天复审")
    world.article(status="published", title="未到期")
    editor = world.client("kb_editor")
    editor.patch(f"/api/v1/kb/articles/{overdue}", json={"review_by": (today - timedelta(days=1)).isoformat()})
    editor.patch(f"/api/v1/kb/articles/{on_the_day}", json={"review_by": today.isoformat()})
    items = editor.get("/api/v1/kb/review-due").json["items"]
    # Past its date, strictly: the article due for review today is not listed yet.
    assert [(i["id"], i["owner_unit_name"], i["days_overdue"]) for i in items] == [
        (overdue, "市人力资源和社会保障局", 1)
    ]
    assert editor.get("/api/v1/kb/review-due?owner_unit=DEPT-B").json["items"] == []
    with app.app_context():
        assert tasks.flag_review_due() == 1
        assert tasks.flag_review_due() == 0  # idempotent: one open review flag per article
        db.session.commit()
    flags = editor.get("/api/v1/kb/flags").json["items"]
    assert [(f["article_id"], f["kind"]) for f in flags] == [(overdue, "review_due")]
    editor.post(f"/api/v1/kb/flags/{flags[0]['id']}/resolve", json={"resolution": "已复审"})
    with app.app_context():
        assert tasks.flag_review_due() == 1  # still overdue after the flag was resolved: flagged again


def test_ids_in_paths_are_digits_or_404(world):
    editor = world.client("kb_editor")
    for bad in ("abc", "-1", "1.5", "１", "99999999999999999999"):
        assert editor.get(f"/api/v1/kb/articles/{bad}").status_code == 404
        assert editor.post(f"/api/v1/kb/flags/{bad}/resolve").status_code == 404
        assert editor.delete(f"/api/v1/kb/synonyms/{bad}").status_code == 404
