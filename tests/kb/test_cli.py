"""`flask --app wsgi kb ...`: import (bad lines, re-import, drafts), export, reindex, review dates."""

import json

from sqlalchemy import func, select

from hotline.extensions import db
from knowledge_base import services
from knowledge_base.models import Article, ArticleVersion


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    )
    return str(path)


def _search(world, app, text, who="operator"):
    with app.app_context():
        return [r.external_id for r in services.search(world.user(who), text)]


def test_import_reports_bad_lines_and_imports_the_rest(world, app, tmp_path):
    path = _write(
        tmp_path,
        "a.jsonl",
        [
            {"id": "a-1", "title": "医保异地备案", "body": "异地长期居住可以网上办理备案。", "category": "SOC"},
            "{not json",
            {"id": "a-2", "title": "公积金提取", "body": "租房可以提取住房公积金。", "keywords": ["租房"]},
            {"id": "a-3", "body": "没有标题"},
            ["not", "an", "object"],
            {"id": "a-4", "title": "未知分类", "body": "正文", "category": "NOPE"},
            "",
            {"id": "a-5", "title": "多余字段", "body": "正文", "author": "x"},
        ],
    )
    r = app.test_cli_runner().invoke(args=["kb", "import", path])
    assert r.exit_code == 1, r.output
    for number in (2, 4, 5, 6, 8):
        assert f"line {number}:" in r.output
    assert "created: 2" in r.output and "failed: 5" in r.output
    # Searchable as soon as the command returns, and published.
    assert _search(world, app, "异地备案") == ["a-1"]
    assert _search(world, app, "租房提取公积金") == ["a-2"]


def test_reimport_updates_instead_of_duplicating(world, app, tmp_path):
    runner = app.test_cli_runner()
    first = _write(tmp_path, "1.jsonl", [{"id": "x-1", "title": "停水通知", "body": "计划停水提前公告。"}])
    assert runner.invoke(args=["kb", "import", first]).exit_code == 0
    again = runner.invoke(args=["kb", "import", first])
    assert "unchanged: 1" in again.output
    second = _write(tmp_path, "2.jsonl", [{"id": "x-1", "title": "停水通知", "body": "水压过低请拨打供水热线。"}])
    r = runner.invoke(args=["kb", "import", second])
    assert r.exit_code == 0 and "updated: 1" in r.output, r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 1
        assert db.session.scalar(select(func.count()).select_from(ArticleVersion)) == 2
    assert _search(world, app, "水压过低") == ["x-1"]
    assert _search(world, app, "提前公告") == []


def test_import_as_drafts_hides_them_from_operators(world, app, tmp_path):
    path = _write(tmp_path, "d.jsonl", [{"id": "d-1", "title": "燃气报装", "body": "新建住宅燃气报装流程。"}])
    r = app.test_cli_runner().invoke(args=["kb", "import", path, "--draft"])
    assert r.exit_code == 0, r.output
    assert _search(world, app, "燃气报装") == []
    with app.app_context():
        assert [r.external_id for r in services.search(world.user("kb_editor"), "燃气报装", status="draft")] == ["d-1"]


def test_export_round_trips_through_import(world, app, tmp_path):
    world.article(status="published", title="居住证", body="居住满半年可以申领。", external_id="r-1")
    world.article(status="draft", title="草稿", body="未发布。")
    out = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kb", "export", str(out)])
    assert r.exit_code == 0 and "exported 2 articles" in r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert (rows[0]["id"], rows[0]["status"]) == ("r-1", "published")
    assert rows[1]["id"].startswith("kb-") and rows[1]["status"] == "draft"
    r = runner.invoke(args=["kb", "import", str(out)])
    assert "unchanged: 1" in r.output and "created: 1" in r.output  # the draft had no external id


def test_reindex_and_review_due_commands(world, app):
    world.article(status="published", title="公积金贷款", body="连续缴存六个月可以申请贷款。")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kb", "reindex"])
    assert r.exit_code == 0 and "indexed 1 articles" in r.output
    r = runner.invoke(args=["kb", "review-due", "--flag"])
    assert r.exit_code == 0 and "0 article(s) due for review" in r.output
