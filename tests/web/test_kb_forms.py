"""The knowledge-base forms without a browser: 纠错 refuses bad input and records nothing; search filters."""

import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from knowledge_base.models import Flag

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

BAD_NOTES = [
    pytest.param({"note": ""}, "说明：不能为空", id="empty"),
    pytest.param({"note": "  \r\n "}, "说明：不能为空", id="blank"),
    pytest.param({}, "说明：此项必填", id="missing"),
    pytest.param({"note": "长" * 2001}, "说明：内容过长（最多 2000 个字）", id="too-long"),
    pytest.param({"note": "电话\x07已变更"}, "说明：含有非法控制字符，请删除后重试", id="control-character"),
]


def _flags(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Flag))


def _signed_in(app, username="operator"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


@pytest.mark.parametrize(("note", "message"), BAD_NOTES)
def test_article_page_refuses_a_flag_without_a_proper_note(app, world, note, message):
    article_id = world.article()
    r = _signed_in(app).post(f"/kb/articles/{article_id}/flags", data={"kind": "wrong", **note})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f"纠错未提交。{message}" in page
    assert 'data-field="note"' in page  # the error also stands beside the note
    assert _flags(app) == 0


def test_article_page_refuses_a_flag_without_a_kind(app, world):
    article_id = world.article()
    r = _signed_in(app).post(f"/kb/articles/{article_id}/flags", data={"note": "电话已变更"})
    assert r.status_code == 422
    assert "纠错未提交。纠错类型：此项必填" in r.get_data(as_text=True)
    assert "电话已变更" in r.get_data(as_text=True)  # what the operator typed is kept
    assert _flags(app) == 0


# --- the search page's filters ------------------------------------------------------------------

PASSPORT = "出入境证件办理", "护照和往来港澳通行证可以在出入境管理大厅办理，也可以网上预约。"


def test_owner_unit_filter_narrows_the_results(app, world):
    world.article(title=PASSPORT[0] + "（人社）", body=PASSPORT[1], owner_unit="DEPT-A")
    world.article(title=PASSPORT[0] + "（市场）", body=PASSPORT[1], owner_unit="DEPT-B")
    client = _signed_in(app)
    both = client.get("/kb?q=护照怎么办理").get_data(as_text=True)
    assert "（人社）" in both and "（市场）" in both
    page = client.get("/kb?q=护照怎么办理&owner_unit=DEPT-B").get_data(as_text=True)
    assert "（市场）" in page and "（人社）" not in page
    assert '<option value="DEPT-B" selected>' in page  # the filter stays chosen
    nobody = client.get("/kb?q=护照怎么办理&owner_unit=NO-SUCH-UNIT")
    assert nobody.status_code == 200 and "没有找到相关的知识条目" in nobody.get_data(as_text=True)
    bad = client.get("/kb?q=护照&owner_unit=not%20a%20code")
    assert bad.status_code == 302 and bad.headers["Location"] == "/kb"  # a wrong filter: said, then cleared


@pytest.mark.parametrize("role", ["operator", "dispatcher", "supervisor"])
def test_a_status_filter_from_a_reader_reveals_no_draft(app, world, role):
    world.article("draft", title="草稿：" + PASSPORT[0], body=PASSPORT[1])
    world.article("published", title="已发布：" + PASSPORT[0], body=PASSPORT[1])
    client = _signed_in(app, role)
    page = client.get("/kb?q=护照怎么办理").get_data(as_text=True)
    assert "已发布：" in page and "草稿：" not in page
    assert 'name="status"' not in page  # readers are not offered the filter
    for query in ("q=护照怎么办理&status=draft", "status=draft", "q=护照怎么办理&status=published"):
        r = client.get(f"/kb?{query}")
        body = r.get_data(as_text=True)
        assert r.status_code == 403, (query, r.status_code)  # refused as the API refuses it
        assert "只有知识库编辑可以按状态筛选" in body and "草稿：" not in body
    api = world.client(role).get("/api/v1/kb/search?q=护照怎么办理&status=draft")
    assert api.status_code == 403  # the same rule


@pytest.mark.parametrize("role", ["kb_editor", "admin"])
def test_editors_filter_by_status(app, world, role):
    world.article("draft", title="草稿：" + PASSPORT[0], body=PASSPORT[1], author="kb_editor")
    world.article("published", title="已发布：" + PASSPORT[0], body=PASSPORT[1])
    client = _signed_in(app, role)
    published = client.get("/kb?q=护照怎么办理").get_data(as_text=True)
    assert "已发布：" in published and "草稿：" not in published
    assert '<option value="published" selected>' in published  # the default, shown
    drafts = client.get("/kb?q=护照怎么办理&status=draft").get_data(as_text=True)
    assert "草稿：" in drafts and "已发布：" not in drafts
    assert '<option value="draft" selected>' in drafts


# --- 纠错 from a search result -------------------------------------------------------------------


def test_a_flag_from_a_result_goes_back_to_the_same_search(app, world):
    article_id = world.article(title=PASSPORT[0], body=PASSPORT[1], owner_unit="DEPT-A")
    client = _signed_in(app)
    page = client.get("/kb?q=护照怎么办理&owner_unit=DEPT-A").get_data(as_text=True)
    search = "q=%E6%8A%A4%E7%85%A7%E6%80%8E%E4%B9%88%E5%8A%9E%E7%90%86&owner_unit=DEPT-A"  # 护照怎么办理
    action = f"/kb/search/articles/{article_id}/flags?{search}"
    assert f'action="{action.replace("&", "&amp;")}"' in page  # the form carries the search back
    r = client.post(action, data={"kind": "outdated", "note": "预约网址已更换"})
    assert r.status_code == 303 and r.headers["Location"] == f"/kb?{search}"
    back = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"已提交纠错：「{PASSPORT[0]}」" in back and 'id="kb-results"' in back
    with app.app_context():
        item = db.session.scalars(select(Flag)).one()
        assert (item.article_id, item.kind, item.note) == (article_id, "outdated", "预约网址已更换")
        assert item.status == "open" and item.created_by.username == "operator"


@pytest.mark.parametrize(("note", "message"), BAD_NOTES)
def test_a_flag_from_a_result_with_a_bad_note_shows_the_results_again(app, world, note, message):
    article_id = world.article(title=PASSPORT[0], body=PASSPORT[1])
    other_id = world.article(title="护照加急办理", body="护照可以申请加急，加急费用按规定收取。")
    client = _signed_in(app)
    r = client.post(f"/kb/search/articles/{article_id}/flags?q=护照怎么办理", data={"kind": "wrong", **note})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f"纠错未提交。{message}" in page
    assert 'id="kb-results"' in page and 'value="护照怎么办理"' in page  # the same search, its results
    assert f'id="flag-{article_id}" open>' in page  # this result's form, open, the others closed
    assert f'id="flag-{other_id}"' in page and f'id="flag-{other_id}" open' not in page
    assert page.count('data-field="note"') == 1
    assert _flags(app) == 0


def test_flags_from_results_refuse_what_the_api_refuses(app, world):
    draft = world.article("draft", title="草稿：" + PASSPORT[0], body=PASSPORT[1])
    published = world.article(title=PASSPORT[0], body=PASSPORT[1])
    operator = _signed_in(app)
    # A draft does not exist for an operator; a kind the form does not offer is refused.
    assert operator.post(f"/kb/search/articles/{draft}/flags", data={"kind": "wrong", "note": "错"}).status_code == 404
    r = operator.post(f"/kb/search/articles/{published}/flags?q=护照", data={"kind": "review_due", "note": "到期"})
    assert r.status_code == 422 and "纠错未提交。纠错类型：取值不在允许范围内" in r.get_data(as_text=True)
    assert operator.post("/kb/search/articles/abc/flags", data={"kind": "wrong", "note": "错"}).status_code == 404
    # An editor sees the draft among drafts but is not offered 纠错 on it, and the service refuses it.
    editor = _signed_in(app, "kb_editor")
    drafts = editor.get("/kb?q=护照怎么办理&status=draft").get_data(as_text=True)
    assert "草稿：" in drafts and "kb-flag" not in drafts
    r = editor.post(f"/kb/search/articles/{draft}/flags?status=draft", data={"kind": "wrong", "note": "错"})
    assert r.status_code == 403 and "您不能对该条目纠错" in r.get_data(as_text=True)
    # A tampered query string does not stop the flag; it goes back to an empty search.
    r = operator.post(f"/kb/search/articles/{published}/flags?limit=9999", data={"kind": "wrong", "note": "电话已变更"})
    assert r.status_code == 303 and r.headers["Location"] == "/kb"
    assert _flags(app) == 1


# --- 纠错 on a suggestion of the intake form (JSON for its script) ----------------------------


def test_a_suggested_article_is_flagged_in_the_background(app, world):
    article_id = world.article(title=PASSPORT[0], body=PASSPORT[1])
    client = _signed_in(app)
    suggestion = client.get("/ui/kb/suggest?text=我想办护照").json["results"][0]
    assert suggestion["flag_url"] == f"/ui/kb/articles/{article_id}/flags"
    r = client.post(suggestion["flag_url"], data={"kind": "outdated", "note": "预约网址已更换"})
    assert r.status_code == 201
    assert r.json["message_zh"] == "已提交纠错，知识库编辑将核实处理。"
    flag = r.json["flag"]
    assert (flag["article_id"], flag["kind"], flag["note"], flag["created_by"]) == (
        article_id,
        "outdated",
        "预约网址已更换",
        "operator",
    )
    assert _flags(app) == 1


@pytest.mark.parametrize(("note", "message"), BAD_NOTES)
def test_a_suggestion_flag_with_a_bad_note_is_a_json_error(app, world, note, message):
    article_id = world.article(title=PASSPORT[0], body=PASSPORT[1])
    r = _signed_in(app).post(f"/ui/kb/articles/{article_id}/flags", data={"kind": "wrong", **note})
    assert r.status_code == 422
    assert r.json["error"]["message_zh"] == f"纠错未提交。{message}"
    assert r.json["error"]["field"] == "note" and r.json["error"]["fields"] == {"note": message.split("：")[1]}
    assert _flags(app) == 0


def test_suggestion_flags_refused_outside_the_view_are_json_too(app, world):
    """The script reads the message of every refusal: the role, an unknown article, an expired page."""
    draft = world.article("draft")
    operator = _signed_in(app)
    missing = operator.post(f"/ui/kb/articles/{draft}/flags", data={"kind": "wrong", "note": "错"})
    assert missing.status_code == 404 and missing.json["error"]["message_zh"]
    staff = _signed_in(app, "staff_a").post(f"/ui/kb/articles/{draft}/flags", data={"kind": "wrong", "note": "错"})
    assert staff.status_code == 403 and staff.json["error"]["message_zh"] == "您无权执行此操作。"
    app.config["WTF_CSRF_ENABLED"] = True
    expired = operator.post(f"/ui/kb/articles/{draft}/flags", data={"kind": "wrong", "note": "错"})
    assert expired.status_code == 400 and expired.json["error"]["message_zh"] == "页面已过期，请刷新后重试。"
    assert _flags(app) == 0
