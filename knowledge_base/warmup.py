"""Ready before the first search: what a web process loads once, loaded when it starts.

The first search of a process would otherwise pay for jieba's dictionary, opening the index,
the semantic model with its query thread, and every article's vector (27k articles: 40 MB
from the database). ``warm_up`` loads them here and now: gunicorn runs it in each worker
before the worker takes requests (``gunicorn.conf.py``, ``post_worker_init``). Any other
server starts it in the background on the process's first request (``install``); searches
meanwhile stay lexical (``searching._fuse`` never waits for the model or the vectors).

A failure is logged and never stops the process: the search that needs the part that
failed loads it itself, as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask

log = logging.getLogger(__name__)

_lock = threading.Lock()
_started: dict[int, threading.Thread] = {}  # pid → this process's warm-up thread
WARM_QUESTION = "社保缴费"


def enabled(app: Flask) -> bool:
    return bool(app.config.get("KB_WARM_UP"))


def warm_up(app: Flask) -> dict[str, float]:
    """Load the search's parts in this process; returns the seconds each took."""
    from hotline.core.db import read_only
    from hotline.extensions import db

    from . import searching, vectors
    from .search import semantic

    took: dict[str, float] = {}
    semantic_on = bool(app.config.get("KB_SEMANTIC"))
    steps = (
        ("model", semantic_on, semantic.load),
        ("vectors", semantic_on, lambda: vectors.get_store(app)),
        ("search", True, lambda: searching.warm_search(WARM_QUESTION)),
    )
    with app.app_context():
        for name, wanted, step in steps:
            if not wanted:
                continue
            started = time.perf_counter()
            try:
                with read_only():
                    step()
            except Exception:
                log.exception("knowledge base: warming up %s failed; the first search loads it", name)
            took[name] = time.perf_counter() - started
        db.session.remove()
    log.info("knowledge base: warmed up in %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
    return took


def start(app: Flask) -> threading.Thread | None:
    """Warm up in a background thread, once per process (if the app warms up at all)."""
    if not enabled(app):
        return None
    pid = os.getpid()
    thread = _started.get(pid)
    if thread is not None:
        return thread
    with _lock:
        thread = _started.get(pid)
        if thread is None:
            thread = threading.Thread(target=warm_up, args=(app,), name="kb-warm-up", daemon=True)
            _started[pid] = thread
            thread.start()
    return thread


def install(app: Flask) -> None:
    """Start the warm-up on the first request a process serves (a server without a start-up
    hook; after gunicorn's hook this finds it done)."""

    @app.before_request
    def _warm_up_knowledge_base():
        start(app)


def warm_up_before_serving(app: Flask) -> dict[str, float]:
    """Warm up here, synchronously, before this process serves (gunicorn's post_worker_init)."""
    with _lock:
        _started.setdefault(os.getpid(), threading.current_thread())
    return warm_up(app) if enabled(app) else {}
