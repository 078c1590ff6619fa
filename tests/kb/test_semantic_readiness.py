"""Semantic search on a working day: a search never waits for the model to load, for its
vectors to load, or for a semantic side that cannot answer in time; processes that embed
articles run below the web processes. No timing assertions: the tests hold the slow part
with an event and check what the search answered meanwhile."""

import os
import runpy
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from knowledge_base import vectors, warmup
from knowledge_base.search import semantic
from tests.factories import World
from tests.kb.test_semantic import AFTER_SCHOOL, QUESTION, VACCINE, WATER, Clock, ids_of

ROOT = Path(__file__).resolve().parents[2]
BOTH = [VACCINE[0], AFTER_SCHOOL[0]]  # what the hybrid search answers QUESTION with
LEXICAL = [AFTER_SCHOOL[0]]  # what the lexical side alone answers


@pytest.fixture
def hybrid(make_app):
    app = make_app(KB_SEMANTIC=True, KB_VECTOR_REFRESH_SECONDS=0, KB_SEMANTIC_BUDGET_MS=60_000, CLOCK=Clock())
    assert semantic.load()
    with app.app_context():
        vectors.get_store(app)
        world = World.build(app)
    for title, body in (VACCINE, AFTER_SCHOOL, WATER):
        world.article(title=title, body=body)
    semantic._cache.clear()
    assert ids_of(world, QUESTION) == BOTH
    semantic._cache.clear()
    return world


def test_searches_answer_lexically_while_the_model_loads(hybrid, monkeypatch):
    loading = threading.Event()
    real_load = semantic.load

    def slow_load():
        assert loading.wait(60)
        return real_load()

    # A process that has just started: the model is not loaded yet, and loads slowly.
    monkeypatch.setattr(semantic, "_ready", False)
    monkeypatch.setattr(semantic, "_loader", None)
    monkeypatch.setattr(semantic, "load", slow_load)
    assert ids_of(hybrid, QUESTION) == LEXICAL  # answered without waiting for the model
    loader = semantic._loader
    assert loader is not None and loader.is_alive()  # which loads in the background
    assert ids_of(hybrid, QUESTION) == LEXICAL  # one loader: the next search starts none
    assert semantic._loader is loader
    loading.set()
    loader.join(60)
    assert semantic.ready()
    assert ids_of(hybrid, QUESTION) == BOTH


def test_a_new_process_answers_lexically_until_its_vectors_are_loaded(hybrid):
    app = hybrid.app
    app.extensions.pop("kb_vectors")  # this process has not read the vectors yet
    assert ids_of(hybrid, QUESTION) == LEXICAL
    store = app.extensions["kb_vectors"]
    store._loader.join(60)  # they were loaded in the background meanwhile
    assert store.loaded and len(store.ids) == 3
    assert ids_of(hybrid, QUESTION) == BOTH


def test_the_semantic_side_is_skipped_when_it_cannot_answer_in_time(hybrid, monkeypatch, caplog):
    hybrid.app.config["KB_SEMANTIC_BUDGET_MS"] = 0  # no longer than the lexical side took
    release = threading.Event()
    real = semantic._embed_query_now

    def slow(key):  # the machine is busy: the question's vector comes late
        assert release.wait(60)
        return real(key)

    monkeypatch.setattr(semantic, "_embed_query_now", slow)
    with caplog.at_level("INFO", logger="knowledge_base.searching"):
        assert ids_of(hybrid, QUESTION) == LEXICAL
    assert "did not answer within" in caplog.text
    release.set()
    # The vector computed after the search gave up is kept: the operator's next ask uses it.
    pending = semantic.query_future(QUESTION)
    assert pending.result(timeout=60) is not None
    assert ids_of(hybrid, QUESTION) == BOTH


def test_a_budget_lets_a_slower_semantic_side_answer(hybrid, monkeypatch):
    hybrid.app.config["KB_SEMANTIC_BUDGET_MS"] = 60_000
    waits = []
    real = semantic.query_future

    def spy(text, **kw):
        future = real(text, **kw)
        result = future.result

        def timed(timeout=None):
            waits.append(timeout)
            return result(timeout=timeout)

        future.result = timed
        return future

    monkeypatch.setattr(semantic, "query_future", spy)
    assert ids_of(hybrid, QUESTION) == BOTH
    assert len(waits) == 1 and waits[0] >= 60.0  # the lexical side's time plus the budget


def test_warm_up_loads_the_search_before_the_first_request(make_app, monkeypatch):
    app = make_app(KB_SEMANTIC=True, KB_WARM_UP=True)
    with app.app_context():
        world = World.build(app)
    world.article(title=VACCINE[0], body=VACCINE[1])
    app.extensions.pop("kb_vectors", None)
    app.extensions.pop("kb_index", None)
    monkeypatch.setattr(warmup, "_started", {})
    monkeypatch.setattr(semantic, "_ready", False)  # as in a process that has just started
    # gunicorn runs the project's gunicorn.conf.py hook in each worker before it serves.
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=app))
    assert semantic.ready()
    assert app.extensions["kb_vectors"].loaded and len(app.extensions["kb_vectors"].ids) == 1
    assert "kb_index" in app.extensions
    assert warmup._started[os.getpid()] is not None  # the first request starts nothing more
    assert app.test_client().get("/livez").status_code == 200
    assert warmup._started[os.getpid()] is threading.current_thread()


def test_other_servers_warm_up_in_the_background_on_the_first_request(make_app, monkeypatch):
    app = make_app(KB_SEMANTIC=True, KB_WARM_UP=True)
    monkeypatch.setattr(warmup, "_started", {})
    assert app.test_client().get("/livez").status_code == 200
    thread = warmup._started[os.getpid()]
    thread.join(60)
    assert app.extensions["kb_vectors"].loaded and "kb_index" in app.extensions
    assert app.test_client().get("/livez").status_code == 200
    assert warmup._started[os.getpid()] is thread  # once per process
    # Off (as in tests by default): nothing starts.
    monkeypatch.setattr(warmup, "_started", {})
    assert make_app(KB_WARM_UP=False).test_client().get("/livez").status_code == 200
    assert warmup._started == {}


NICE_SCRIPT = """
import os, sys
from hotline import create_app
from workers.queues import make_worker
app = create_app({"HOTLINE_ENV": "testing", "DATA_DIR": sys.argv[1], "REDIS_URL": sys.argv[2], "KB_WORKER_NICE": 7})
seen = [os.getpriority(os.PRIO_PROCESS, 0)]
for queues in (["default", "notifications"], ["default", "kb_vectors"], ["kb_vectors"]):
    make_worker(app, queues)
    seen.append(os.getpriority(os.PRIO_PROCESS, 0))
print(*seen)
"""


@pytest.mark.redis
def test_the_kb_vectors_worker_runs_below_the_web_processes(redis_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    done = subprocess.run(
        [sys.executable, "-c", NICE_SCRIPT, str(tmp_path), redis_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    start, other, with_vectors, again = (int(x) for x in done.stdout.split())
    lowered = max(start, 7)
    assert (other, with_vectors, again) == (start, lowered, lowered)  # lowered once, only for kb_vectors


def test_kb_embed_lowers_its_own_priority(hybrid, monkeypatch):
    lowered = []
    monkeypatch.setattr(vectors, "lower_priority", lambda app=None: lowered.append(True) or 10)
    r = hybrid.app.test_cli_runner().invoke(args=["kb", "embed"])
    assert r.exit_code == 0, r.output
    assert lowered == [True]


def test_lower_priority_only_ever_lowers(make_app, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "getpriority", lambda which, who: 3)
    monkeypatch.setattr(os, "nice", lambda inc: calls.append(inc) or 3 + inc)
    with make_app(KB_WORKER_NICE=10).app_context():
        assert vectors.lower_priority() == 10 and calls == [7]
    with make_app(KB_WORKER_NICE=2).app_context():
        assert vectors.lower_priority() == 3 and calls == [7]  # already lower: left alone
