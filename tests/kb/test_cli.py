"""`flask --app wsgi kb ...`: import (bad lines, re-import, drafts, statuses), export, reindex, review dates."""

import json
from datetime import UTC, datetime

from sqlalchemy import func, select

from hotline.extensions import db
from knowledge_base import changes, indexing, services
from knowledge_base.models import Article, ArticleVersion
from knowledge_base.search import index as index_module
from tests.factories import World


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


def test_lines_python_cannot_read_are_reported_too_and_the_progress_is_on_stderr(world, app, tmp_path):
    good = {"id": "u-1", "title": "居住证办理", "body": "居住满半年可以申领居住证。"}
    path = tmp_path / "u.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                "\ufeff".encode() + json.dumps(good, ensure_ascii=False).encode(),  # a byte-order mark
                json.dumps({"id": "u-2", "title": "社保转移", "body": "跨省转移接续。"}, ensure_ascii=False).encode(
                    "gbk"
                ),
                b'{"id": "u-3", "title": "x", "body": "y", "status": 1' + b"0" * 5000 + b"}",  # too many digits
                b"[" * 100_000 + b"]" * 100_000,  # nested too deep
                json.dumps({"id": "u-5", "title": "公积金提取", "body": "租房可以提取住房公积金。"}).encode(),
            ]
        )
    )
    r = app.test_cli_runner().invoke(args=["kb", "import", str(path)])
    assert r.exit_code == 1, r.output
    errors = [line for line in r.stderr.splitlines() if line.startswith("line ")]
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4"]
    assert "UTF-8" in errors[0] and all("not JSON" in e for e in errors[1:])
    assert "importing" in r.stderr and "importing" not in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("created: 2")
    assert _search(world, app, "居住证") == ["u-1"] and _search(world, app, "租房提取公积金") == ["u-5"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Article)) == 2


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
    path = _write(
        tmp_path,
        "d.jsonl",
        [
            {"id": "d-1", "title": "燃气报装", "body": "新建住宅燃气报装流程。"},
            {"id": "d-2", "title": "供暖报停", "body": "冬季供暖报停须在十月底前申请。", "status": "published"},
        ],
    )
    r = app.test_cli_runner().invoke(args=["kb", "import", path, "--draft"])
    assert r.exit_code == 0, r.output
    assert _search(world, app, "燃气报装") == [] and _search(world, app, "供暖报停") == []
    with app.app_context():
        assert _statuses() == {"d-1": "draft", "d-2": "draft"}
        assert [r.external_id for r in services.search(world.user("kb_editor"), "燃气报装", status="draft")] == ["d-1"]


def _statuses() -> dict:
    return {a.external_id or f"#{a.id}": a.status for a in db.session.scalars(select(Article))}


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Article)),
            db.session.scalar(select(func.count()).select_from(ArticleVersion)),
        )


def _articles_of_every_status(world):
    world.article(status="published", title="居住证", body="居住满半年可以申领。", external_id="r-1")
    world.article(status="draft", title="草稿", body="未发布的公积金提取指引。")
    world.article(status="in_review", title="待审", body="待审核的社保转移指引。")
    world.article(status="retired", title="旧规", body="已下线的老年人优待证旧规定。")
    world.article(status="published", title="停水", body="计划停水提前公告。")


def test_export_then_import_into_the_same_database_changes_nothing(world, app, tmp_path):
    _articles_of_every_status(world)
    out = tmp_path / "export.jsonl"
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kb", "export", str(out)])
    assert r.exit_code == 0 and "exported 5 articles" in r.output
    exported = out.read_text()
    rows = [json.loads(line) for line in exported.splitlines()]
    assert [(row["id"], row["status"]) for row in rows] == [
        ("r-1", "published"),
        ("kb-2", "draft"),
        ("kb-3", "in_review"),
        ("kb-4", "retired"),
        ("kb-5", "published"),
    ]
    with app.app_context():
        statuses = _statuses()
    before = _counts(app)
    r = runner.invoke(args=["kb", "import", str(out)])
    assert r.exit_code == 0, r.output
    assert "created: 0, updated: 0, unchanged: 5, failed: 0" in r.output
    assert _counts(app) == before  # no new article, no new version
    with app.app_context():
        assert _statuses() == statuses
    # The draft is still hidden from operators, and exporting again writes the same file.
    assert _search(world, app, "公积金提取指引") == []
    assert runner.invoke(args=["kb", "export", str(out)]).exit_code == 0
    assert out.read_text() == exported
    # An edit in the file updates the article it came from.
    rows[1]["body"] = "修改后的公积金提取指引。"
    _write(tmp_path, "export.jsonl", rows)
    r = runner.invoke(args=["kb", "import", str(out)])
    assert "created: 0, updated: 1, unchanged: 4" in r.output, r.output
    assert _counts(app) == (before[0], before[1] + 1)
    with app.app_context():
        assert db.session.get(Article, 2).body == "修改后的公积金提取指引。"


def test_export_then_import_into_a_fresh_database_keeps_statuses(world, app, make_app, database, tmp_path):
    _articles_of_every_status(world)
    out = tmp_path / "export.jsonl"
    assert app.test_cli_runner().invoke(args=["kb", "export", str(out)]).exit_code == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]

    # An empty database and index (on PostgreSQL the same database, emptied).
    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    fresh = make_app(DATABASE_URL=database(fresh_dir), DATA_DIR=str(fresh_dir))
    with fresh.app_context():
        fresh_world = World.build(fresh)
    runner = fresh.test_cli_runner()
    r = runner.invoke(args=["kb", "import", str(out)])
    assert r.exit_code == 0 and "created: 5" in r.output, r.output
    with fresh.app_context():
        assert _statuses() == {row["id"]: row["status"] for row in exported}
    assert _search(fresh_world, fresh, "居住满半年") == ["r-1"]
    assert _search(fresh_world, fresh, "计划停水") == ["kb-5"]
    for hidden in ("公积金提取指引", "社保转移指引", "老年人优待证旧规定"):
        assert _search(fresh_world, fresh, hidden) == [], hidden
    # Importing the same file again there updates rather than duplicates.
    before = _counts(fresh)
    r = runner.invoke(args=["kb", "import", str(out)])
    assert "created: 0, updated: 0, unchanged: 5" in r.output, r.output
    assert _counts(fresh) == before


def test_another_databases_number_does_not_overwrite_an_article(world, app, tmp_path):
    article_id = world.article(status="published", title="停水", body="计划停水提前公告。")
    # Another database's article with the same number, created at another time.
    line = {"id": f"kb-{article_id}", "created_at": datetime(2025, 3, 1, 8, 30, tzinfo=UTC).isoformat()}
    app.config["CLOCK"] = lambda: datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # the import runs later
    path = _write(tmp_path, "other.jsonl", [{**line, "title": "停电", "body": "计划停电提前公告。"}])
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kb", "import", path])
    assert r.exit_code == 0 and "created: 1" in r.output, r.output
    with app.app_context():
        assert db.session.get(Article, article_id).title == "停水"
        assert _statuses() == {f"#{article_id}": "published", f"kb-{article_id}": "published"}
    # Both are exported as kb-1; their created_at tells them apart on the way back.
    out = tmp_path / "export.jsonl"
    assert runner.invoke(args=["kb", "export", str(out)]).exit_code == 0
    assert [json.loads(row)["id"] for row in out.read_text().splitlines()] == [f"kb-{article_id}"] * 2
    before = _counts(app)
    r = runner.invoke(args=["kb", "import", str(out)])
    assert "created: 0, updated: 0, unchanged: 2" in r.output, r.output
    assert _counts(app) == before


def test_a_bad_status_is_reported_with_its_line_number(world, app, tmp_path):
    path = _write(
        tmp_path,
        "s.jsonl",
        [
            {"id": "s-1", "title": "户口迁入", "body": "外地户口迁入本市的条件。", "status": "draft"},
            {"id": "s-2", "title": "户口迁出", "body": "户口迁出的办理流程。", "status": "deleted"},
            {"id": "s-3", "title": "身份证补办", "body": "身份证丢失后补办。"},
            {"id": "s-4", "title": "身份证换领", "body": "身份证到期换领。", "status": 1},
            {"id": "s-5", "title": "居住证", "body": "居住证的申领条件。", "status": "retired"},
        ],
    )
    r = app.test_cli_runner().invoke(args=["kb", "import", path])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("line ")] == ["line 2", "line 4"]
    assert all("status" in line for line in lines if line.startswith("line "))
    assert "created: 3" in r.output and "failed: 2" in r.output
    with app.app_context():
        assert _statuses() == {"s-1": "draft", "s-3": "published", "s-5": "retired"}
    assert _search(world, app, "身份证丢失") == ["s-3"]
    assert _search(world, app, "户口迁入") == [] and _search(world, app, "居住证申领") == []


def test_a_status_is_not_applied_to_an_existing_article(world, app, tmp_path):
    world.article(status="published", title="居住证", body="居住满半年可以申领。", external_id="r-1")
    path = _write(
        tmp_path, "r.jsonl", [{"id": "r-1", "title": "居住证", "body": "居住满半年可以申领。", "status": "retired"}]
    )
    r = app.test_cli_runner().invoke(args=["kb", "import", path])
    assert r.exit_code == 0 and "unchanged: 1" in r.output, r.output
    assert "line 1: status retired not applied, the article stays published" in r.output
    assert _search(world, app, "居住满半年") == ["r-1"]


def test_export_to_standard_output_is_json_lines_with_the_progress_on_stderr(world, app):
    _articles_of_every_status(world)
    r = app.test_cli_runner().invoke(args=["kb", "export"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["r-1", "kb-2", "kb-3", "kb-4", "kb-5"]
    assert "exporting" in r.stderr and "exported 5 articles" in r.stderr


def test_reindex_and_review_due_commands(world, app):
    world.article(status="published", title="公积金贷款", body="连续缴存六个月可以申请贷款。")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["kb", "reindex"])
    assert r.exit_code == 0 and "indexed 1 articles" in r.output
    r = runner.invoke(args=["kb", "review-due", "--flag"])
    assert r.exit_code == 0 and "0 article(s) due for review" in r.output


def _ranked(world, app, questions):
    """Per question: every score in order, and the articles above the last one (among equal
    scores the order is the index's, which differs between builds)."""
    out = []
    with app.app_context():
        for q in questions:
            results = services.search(world.user("operator"), q, limit=50)
            scores = [round(r.score, 6) for r in results]
            out.append((scores, sorted(r.external_id for r in results if round(r.score, 6) > scores[-1])))
    return out


def test_reindex_in_two_processes_finds_what_one_finds(world, app, tmp_path):
    topics = ["社保缴费", "公积金提取", "医保报销", "营业执照办理", "居住证补办", "失业保险金领取"]
    lines = [
        {
            "id": f"p-{i}",
            "title": f"{topics[i % 6]}问题{i}",
            "body": f"{topics[(i * 5) % 6]}的办理流程和材料。" * (1 + i % 4),
        }
        for i in range(450)
    ]
    r = app.test_cli_runner().invoke(args=["kb", "import", "--no-vectors", _write(tmp_path, "p.jsonl", lines)])
    assert r.exit_code == 0, r.output
    questions = ["社保怎么缴费", "公积金提取需要什么材料", "营业执照", "失业了能领多少钱"]
    r = app.test_cli_runner().invoke(args=["kb", "reindex", "--procs", "2"])
    assert r.exit_code == 0 and "indexed 450 articles" in r.output
    # The builds themselves (the command also re-applies the articles the frozen test clock
    # shows as changed during the rebuild, into a segment of their own).
    found = {}
    for procs in (1, 2):
        with app.app_context():
            index = indexing.get_index()
            with index.rebuild_lock():
                index.build(indexing.documents(), procs=procs, synced=changes.current(db.session))
            with index.searcher() as searcher:
                assert searcher.doc_count_all() == 450 and len(searcher.leaf_searchers()) == procs
        found[procs] = _ranked(world, app, questions)
    assert found[2] == found[1] and all(len(scores) == 50 and above for scores, above in found[1])


def test_a_parallel_rebuild_that_loses_documents_is_not_swapped_in_and_runs_again_in_one_process(
    world, app, monkeypatch, caplog
):
    world.article(status="published", title="公积金贷款", body="连续缴存六个月可以申请贷款。")
    world.article(status="published", title="社保转移", body="跨省转移养老保险关系。")
    real = index_module.MpWriter

    def losing(ix, **kwargs):  # as when Whoosh drops a child's segment (queue.Empty)
        writer = real(ix, **kwargs)
        add = writer.add_document
        writer.add_document = lambda **doc: None if doc["id"] == str(first) else add(**doc)
        return writer

    with app.app_context():
        first = db.session.scalar(select(func.min(Article.id)))
        before = indexing.get_index().current_name()
    monkeypatch.setattr(index_module, "MpWriter", losing)
    r = app.test_cli_runner().invoke(args=["kb", "reindex", "--procs", "2"])
    assert r.exit_code == 0 and "indexed 2 articles" in r.output
    assert "the parallel rebuild lost documents" in caplog.text
    with app.app_context():
        index = indexing.get_index()
        assert index.current_name() != before
        with index.searcher() as searcher:
            assert searcher.doc_count() == 2
        generations = [p.name for p in index.root.iterdir() if p.name.startswith("gen-")]
        assert sorted(generations) == sorted({before, index.current_name()} - {None})
    assert _search(world, app, "公积金贷款") and _search(world, app, "社保转移")


def test_reindex_refuses_a_bad_process_count(world, app):
    world.article(status="published", title="公积金贷款", body="连续缴存六个月可以申请贷款。")
    with app.app_context():
        before = indexing.get_index().current_name()
    r = app.test_cli_runner().invoke(args=["kb", "reindex", "--procs", "0"])
    assert r.exit_code == 2 and "--procs" in r.output
    with app.app_context():
        assert indexing.get_index().current_name() == before  # nothing rebuilt
