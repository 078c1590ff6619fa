"""Search through the API: publish → index → search, filters, bad input, synonyms, recovery."""

import logging
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from hotline.core import clock
from hotline.extensions import db
from knowledge_base import indexing, services
from knowledge_base.search.index import SearchIndex

FUND = ("离职后住房公积金怎么办", "职工离职后，原单位为其办理公积金账户封存，到新单位后办理转移或启封续缴。")
PENSION = ("养老金领取", "达到法定退休年龄且累计缴费满十五年的，按月领取基本养老金。")


def search(world, q, who="operator", **params):
    r = world.client(who).get("/api/v1/kb/search", query_string={"q": q, **params})
    return r


def titles(response):
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.json["results"]]


def test_a_published_article_is_found_with_a_highlighted_snippet(world):
    world.article(title=FUND[0], body=FUND[1], external_id="ext-1")
    world.article(title=PENSION[0], body=PENSION[1])
    r = search(world, "我换工作了，公积金账户怎么办？")
    assert titles(r)[0] == FUND[0]
    top = r.json["results"][0]
    assert top["external_id"] == "ext-1" and top["score"] > 0 and top["status"] == "published"
    assert "<mark>公积金账户</mark>" in top["snippet"]


def test_drafts_in_review_and_retired_articles_never_reach_operators(world):
    for status in ("draft", "in_review", "retired"):
        world.article(status=status, title=f"{status} 公积金", body="公积金提取的内部草稿。")
    for q in ("公积金", "status:draft 公积金", "status:retired", "*", "公积金*", 'title:"draft"', "id:1 OR id:2"):
        for who in ("operator", "dispatcher", "supervisor"):
            assert titles(search(world, q, who)) == [], (q, who)
    # Editors find them when they ask for that status.
    assert titles(search(world, "公积金", "kb_editor", status="draft")) == ["draft 公积金"]
    assert titles(search(world, "公积金", "admin", status="retired")) == ["retired 公积金"]
    assert search(world, "公积金", "operator", status="draft").status_code == 403


def test_edit_and_retire_reach_the_index(world):
    article_id = world.article(title=FUND[0], body=FUND[1])
    editor = world.client("kb_editor")
    r = editor.patch(f"/api/v1/kb/articles/{article_id}", json={"body": "公积金账户可以在线办理跨城市转移接续。"})
    assert r.status_code == 200, r.json
    assert titles(search(world, "跨城市转移接续")) == [FUND[0]]
    assert titles(search(world, "封存")) == []
    assert editor.post(f"/api/v1/kb/articles/{article_id}/retire").status_code == 200
    assert titles(search(world, "跨城市转移接续")) == []


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "的了吗呢",
        "怎么办？？",
        "😀😀！！？？",
        "title:x",
        "*",
        "?",
        "AND OR NOT",
        '"unbalanced',
        "((([[[",
        "公积金 AND (",
        "\\",
        "x" * 2000,
        "公积金怎么提取" * 285,
    ],
)
def test_odd_questions_get_a_list_never_an_error(world, q):
    world.article(title=FUND[0], body=FUND[1])
    r = search(world, q)
    assert r.status_code == 200 and isinstance(r.json["results"], list)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 2001}, "q"),
        ({"q": "公积金", "limit": 0}, "limit"),
        ({"q": "公积金", "limit": 51}, "limit"),
        ({"q": "公积金", "limit": "ten"}, "limit"),
        ({"q": "公积金", "category": "bad code!"}, "category"),
        ({"q": "公积金", "status": "deleted"}, "status"),
        ({"q": "公积金", "page": 1}, "page"),
    ],
)
def test_bad_search_parameters_are_422_with_the_field(world, params, field):
    r = world.client("kb_editor").get("/api/v1/kb/search", query_string=params)
    assert r.status_code == 422 and r.json["error"]["field"] == field, r.json


def test_repeated_parameters_are_refused(world):
    r = world.client("operator").get("/api/v1/kb/search?q=a&q=b")
    assert r.status_code == 422 and r.json["error"]["field"] == "q"


def test_filters_by_category_with_children_and_by_owner_unit(world):
    world.article(title="养老保险缴费", body="养老保险按月缴费。", category="SOC.PEN", owner_unit="DEPT-A")
    world.article(title="其他缴费", body="其他事项按月缴费。", category="MISC", owner_unit="DEPT-B")
    assert sorted(titles(search(world, "按月缴费"))) == ["其他缴费", "养老保险缴费"]
    assert titles(search(world, "按月缴费", category="SOC")) == ["养老保险缴费"]
    assert titles(search(world, "按月缴费", category="SOC.PEN")) == ["养老保险缴费"]
    assert titles(search(world, "按月缴费", owner_unit="DEPT-B")) == ["其他缴费"]
    assert titles(search(world, "按月缴费", category="SOC", owner_unit="DEPT-B")) == []
    assert len(titles(search(world, "按月缴费", limit=1))) == 1


def test_a_synonym_change_takes_effect_on_the_next_search_without_reindexing(world):
    world.article(title="社会保险费缓缴", body="受影响的企业可以申请缓缴社会保险费。")
    assert titles(search(world, "社保交不上")) == []
    editor = world.client("kb_editor")
    r = editor.post("/api/v1/kb/synonyms", json={"terms": ["社保", "社会保险"]})
    assert r.status_code == 201, r.json
    assert titles(search(world, "社保交不上")) == ["社会保险费缓缴"]
    assert editor.delete(f"/api/v1/kb/synonyms/{r.json['id']}").status_code == 204
    assert titles(search(world, "社保交不上")) == []


def test_suggest_offers_articles_for_a_ticket_being_typed(world):
    world.article(title=FUND[0], body=FUND[1])
    r = world.client("operator").get("/api/v1/kb/suggest", query_string={"text": "来电人反映离职后公积金账户被封存"})
    assert titles(r) == [FUND[0]]
    assert titles(world.client("operator").get("/api/v1/kb/suggest", query_string={"text": ""})) == []
    r = world.client("operator").get("/api/v1/kb/suggest", query_string={"text": "x", "limit": 21})
    assert r.status_code == 422 and r.json["error"]["field"] == "limit"


def test_unit_staff_cannot_search(world):
    world.article(title=FUND[0], body=FUND[1])
    for who in ("staff_a", "staff_b"):
        assert search(world, "公积金", who).status_code == 403


# --- the index: rebuilds, recovery, jobs --------------------------------------------------


def _index_root(app) -> Path:
    return Path(app.config["DATA_DIR"]) / "kb_index"


def test_a_missing_index_is_rebuilt_and_the_error_logged(world, app, caplog):
    world.article(title=FUND[0], body=FUND[1])
    shutil.rmtree(_index_root(app))
    with caplog.at_level(logging.ERROR, logger="knowledge_base"):
        assert titles(search(world, "公积金封存")) == [FUND[0]]
    assert "index unavailable" in caplog.text


def _corrupt(root: Path) -> str:
    generation = (root / "CURRENT").read_text()
    for path in (root / generation).iterdir():
        path.write_bytes(b"\x00garbage" * 10)
    return generation


# Whoosh leaves the damaged table-of-contents file it failed to parse unclosed.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_corrupted_index_is_recovered(world, app, caplog):
    world.article(title=FUND[0], body=FUND[1])  # indexed by its job; no searcher open yet
    root = _index_root(app)
    damaged = _corrupt(root)
    with caplog.at_level(logging.ERROR, logger="knowledge_base"):
        assert titles(search(world, "公积金封存")) == [FUND[0]]
    assert "index unavailable" in caplog.text
    assert (root / "CURRENT").read_text() != damaged


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_damage_under_an_open_searcher_is_never_a_500(world, app):
    world.article(title=FUND[0], body=FUND[1])
    assert titles(search(world, "公积金封存")) == [FUND[0]]
    _corrupt(_index_root(app))
    assert isinstance(titles(search(world, "公积金封存")), list)
    world.article(title=PENSION[0], body=PENSION[1])
    assert titles(search(world, "养老金")) == [PENSION[0]]
    assert titles(search(world, "公积金封存")) == [FUND[0]]


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_index_job_that_finds_the_index_damaged_rebuilds_it(world, app):
    world.article(title=FUND[0], body=FUND[1])
    root = _index_root(app)
    damaged = _corrupt(root)
    world.article(title=PENSION[0], body=PENSION[1])  # its index job cannot open the index: rebuild
    assert (root / "CURRENT").read_text() != damaged
    assert titles(search(world, "养老金")) == [PENSION[0]]
    assert titles(search(world, "公积金封存")) == [FUND[0]]


def test_an_empty_index_is_detected_and_rebuilt(world, app):
    from whoosh import index

    from knowledge_base.search.schema import make_schema

    world.article(title=FUND[0], body=FUND[1])
    root = _index_root(app)
    (root / "gen-empty").mkdir()
    index.create_in(str(root / "gen-empty"), make_schema())
    # Marked as caught up with every change: only the emptiness check can find it out.
    (root / "gen-empty" / "SYNCED").write_text((root / (root / "CURRENT").read_text() / "SYNCED").read_text())
    (root / "CURRENT").write_text("gen-empty")
    assert titles(search(world, "公积金封存")) == [FUND[0]]
    assert (root / "CURRENT").read_text() != "gen-empty"


def test_index_jobs_are_idempotent(world, app):
    from knowledge_base import tasks

    article_id = world.article(title=FUND[0], body=FUND[1])
    with app.app_context():
        assert tasks.index_articles(article_id) == 1
        assert tasks.index_articles(article_id, article_id, 424242) == 1
        with indexing.get_index().searcher() as searcher:
            assert searcher.doc_count() == 1
    assert titles(search(world, "公积金封存")) == [FUND[0]]


def test_searches_reuse_one_searcher_until_the_index_changes(world, monkeypatch):
    # Record the searcher each search is given (the web process's, kept between requests).
    given = []
    keep = SearchIndex.searcher

    @contextmanager
    def recorded(self):
        with keep(self) as searcher:
            given.append(searcher)
            yield searcher

    monkeypatch.setattr(SearchIndex, "searcher", recorded)
    world.article(title=FUND[0], body=FUND[1])
    assert titles(search(world, "公积金封存")) == [FUND[0]]
    assert titles(search(world, "养老金")) == []
    assert len(given) == 2 and given[1] is given[0] and not given[0].is_closed

    world.article(title=PENSION[0], body=PENSION[1])  # published: its index job writes the index
    assert titles(search(world, "养老金")) == [PENSION[0]]
    assert given[2] is not given[1] and given[1].is_closed  # refreshed, and the stale one closed
    assert titles(search(world, "公积金封存")) == [FUND[0]]
    assert given[3] is given[2]


def test_reindex_while_searching(world, app):
    for i in range(30):
        world.article(title=f"公积金问题{i}", body=f"第{i}条：离职后公积金账户封存与转移。")
    errors, counts, stop = [], [], threading.Event()
    operator = world.user_ids["operator"]

    def searching():
        with app.app_context():
            from hotline.accounts.models import User

            user = db.session.get(User, operator)
            while not stop.is_set():
                try:
                    counts.append(len(services.search(user, "公积金账户封存", limit=10)))
                except Exception as exc:
                    errors.append(exc)
                db.session.remove()

    def wait_for(n):
        deadline = time.monotonic() + 60
        while len(counts) + len(errors) < n and time.monotonic() < deadline:
            time.sleep(0.01)

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        wait_for(1)
        runner = app.test_cli_runner()
        for _ in range(3):
            r = runner.invoke(args=["kb", "reindex"])
            assert r.exit_code == 0, r.output
            assert "indexed 30 articles" in r.output
        wait_for(len(counts) + 5)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors
    assert counts and all(n == 10 for n in counts), counts[:20]
    generations = [p for p in _index_root(app).iterdir() if p.name.startswith("gen-")]
    assert len(generations) <= 2  # the live one and the previous one


@pytest.mark.redis
def test_with_redis_the_web_host_catches_its_index_up_without_the_worker(make_app, redis_url):
    from tests.factories import World
    from workers.queues import make_worker

    app = make_app(REDIS_URL=redis_url, KB_INDEX_SYNC_SECONDS=0)
    with app.app_context():
        world = World.build(app)
    article_id = world.article(title=FUND[0], body=FUND[1])
    # No worker runs: the first search finds no index and has it built on this host, in the
    # background (answering nothing meanwhile); the index job waits in Redis.
    deadline = time.monotonic() + 30
    while titles(search(world, "公积金封存")) != [FUND[0]]:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    r = world.client("kb_editor").patch(f"/api/v1/kb/articles/{article_id}", json={"body": "缴存记录可以异地互认。"})
    assert r.status_code == 200
    assert titles(search(world, "异地互认")) == [FUND[0]]  # caught up before the search
    with app.app_context():
        article = services.get_published(article_id)
        services.retire(article, actor=world.user("kb_editor"), now=clock.now())
        db.session.commit()
    assert titles(search(world, "异地互认")) == []
    # The search_index worker's jobs, run late, change nothing.
    make_worker(app, ["search_index"], simple=True).work(burst=True)
    assert titles(search(world, "异地互认")) == []
    assert titles(search(world, "公积金封存")) == []
