"""The database → index glue: which index an app uses, full rebuilds, catching up.

The database is the source of truth and each host's index a cache of it: everything here
re-reads the database, so running any of it twice (rq delivers at least once) gives the same
index. Every generation records the articles' change sequence it has applied up to
(``knowledge_base.changes``); :func:`catch_up` applies the articles changed since, so a host
that did not make a change (another web host, or a host whose index job ran elsewhere) sees
it at its next check (:func:`freshen`, from every search, at most every
``KB_INDEX_SYNC_SECONDS``). A missing or unreadable index is rebuilt on the host that needs it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from whoosh.index import LockError

from hotline.core.db import read_only
from hotline.extensions import db

from . import changes
from .models import Article
from .search.analyzer import ensure_jieba
from .search.index import IndexBuildError, IndexUnavailable, SearchIndex
from .search.schema import document

log = logging.getLogger(__name__)
_lock = threading.Lock()
INLINE_CATCH_UP = 200  # a search applies up to this many changed articles itself; more: a thread


def get_index(app: Flask | None = None) -> SearchIndex:
    """The app's index (one object per process, created on first use; jieba initialised)."""
    app = app or current_app._get_current_object()

    def make() -> SearchIndex:
        data_dir = Path(app.config["DATA_DIR"])
        ensure_jieba(data_dir / "jieba")
        return SearchIndex(data_dir / "kb_index")

    return per_app(app, "kb_index", make)


def per_app(app: Flask, key: str, make: Callable[[], object]):
    """``app.extensions[key]``, made by ``make`` on first use (once, whatever the threads)."""
    found = app.extensions.get(key)
    if found is None:
        with _lock:
            found = app.extensions.get(key)
            if found is None:
                found = app.extensions[key] = make()
    return found


def documents(batch: int = 1000) -> Iterable[dict]:
    """Every article's index document, read in batches."""
    stmt = select(Article).order_by(Article.id).execution_options(yield_per=batch)
    for article in db.session.scalars(stmt):
        yield document(article)


def article_count() -> int:
    return db.session.scalar(select(db.func.count(Article.id))) or 0


def rebuild(
    *, progress: Callable[[int], None] | None = None, wait: bool = True, procs: int = 1
) -> tuple[str, int] | None:
    """Build a fresh generation from the database and swap it in; None if another rebuild runs.

    Searches keep using the old generation until the swap. Articles changed while the
    rebuild ran (their index jobs wrote to the old generation) are written again after.
    ``procs`` > 1 forks that many indexing processes (``SearchIndex.build``): only from a
    single-threaded process; should they lose documents, the build runs again in one.
    """
    index = get_index()
    # Only reads: never take SQLite's write lock (a caller up the stack may hold it).
    with read_only(), index.rebuild_lock(wait=wait) as acquired:
        if not acquired:
            log.info("a knowledge-base rebuild is already running; not starting another")
            return None
        # Read before the articles: whatever commits later carries a higher value and is
        # applied by the catch-up below or the next one.
        synced = changes.current(db.session)
        try:
            name, count = index.build(documents(), progress=progress, procs=procs, synced=synced)
        except IndexBuildError:
            if procs == 1:
                raise
            log.exception("the parallel rebuild lost documents; building again in one process")
            name, count = index.build(documents(), synced=synced)
    log.info("knowledge-base index rebuilt: %s, %d articles", name, count)
    catch_up()  # what changed while it was built
    return name, count


def update_articles(article_ids: Iterable[int]) -> int:
    """Write these articles' current state to this host's index (removing ids that no
    longer exist), with every other article changed since the index's mark."""
    index = get_index()
    if index.current_name() is None:
        result = rebuild()
        return result[1] if result else 0
    try:
        return catch_up(article_ids)
    except IndexUnavailable:
        result = rebuild()
        return result[1] if result else 0


def catch_up(article_ids: Iterable[int] = (), *, timeout: float | None = None) -> int:
    """Apply to this host's index every article whose ``change_seq`` is past the live
    generation's mark (and ``article_ids``), then move the mark. Returns how many were written.

    Raises IndexUnavailable when there is no usable index, or when the database's sequence
    is behind the mark (the database was replaced, e.g. restored): the caller rebuilds.
    With ``timeout`` (seconds), gives up (returning 0) when another process of this host
    holds the writer lock longer: that one is catching up.
    """
    ids = {int(i) for i in article_ids}
    index = get_index()
    name = index.current_name()
    if name is None:
        raise IndexUnavailable(f"no index in {index.root}")
    mark = index.synced(name) or 0
    with read_only():
        target = changes.current(db.session)
        if target < mark:
            raise IndexUnavailable(f"the database's change sequence ({target}) is behind the index's ({mark})")
        if target == mark and not ids:
            return 0
        where = Article.change_seq > mark
        if ids:
            where = where | Article.id.in_(sorted(ids))
        found = db.session.scalars(select(Article).where(where).order_by(Article.id)).all()
        docs = [document(a) for a in found]
    missing = [str(i) for i in ids - {a.id for a in found}]
    kwargs = {} if timeout is None else {"timeout": timeout}
    try:
        return index.apply(docs, missing, synced=target, name=name, **kwargs)
    except LockError:
        log.info("knowledge-base index: another process of this host is writing; not catching up now")
        return 0


def pending(index) -> int | None:
    """How many articles this host's index lacks (None: no usable index or mark behind)."""
    name = index.current_name()
    if name is None:
        return None
    mark = index.synced(name) or 0
    target = changes.current(db.session)
    if target < mark:
        return None
    if target == mark:
        return 0
    return db.session.scalar(select(func.count()).where(Article.change_seq > mark)) or 0


def freshen(app: Flask) -> bool:
    """Before a search: at most every ``KB_INDEX_SYNC_SECONDS`` per process, look whether
    the database has article changes this host's index lacks, and apply them: here when
    they are few (a few milliseconds each), in a background thread when many (an import on
    another host), the search answering from the index as it is meanwhile.

    False when the index must be rebuilt (the database's sequence is behind its mark: the
    database was replaced); True otherwise, a missing index included (the search finds that
    out itself). Never raises."""
    state = per_app(app, "kb_index_sync", lambda: {"checked": 0.0, "thread": None})
    every = float(app.config.get("KB_INDEX_SYNC_SECONDS", 2.0))
    now = time.monotonic()
    if every and now - state["checked"] < every:
        return True
    state["checked"] = now
    index = get_index(app)
    try:
        with read_only():
            lacking = pending(index)
        if lacking is None:
            return index.current_name() is None
        if lacking == 0:
            return True
        if lacking <= INLINE_CATCH_UP:
            catch_up(timeout=0)
            return True
        thread = state["thread"]
        if thread is None or not thread.is_alive():
            state["thread"] = in_background(app, catch_up, "hotline-kb-catch-up")
    except Exception:
        log.exception("knowledge-base index: catching up with the database failed")
    return True


def in_background(app: Flask, fn: Callable, name: str) -> threading.Thread:
    """Run ``fn()`` in a daemon thread with its own app context (and database session)."""

    def run() -> None:
        with app.app_context():
            try:
                fn()
            except Exception:
                log.exception("knowledge-base index: %s failed", name)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=name, daemon=True)
    threads = per_app(app, "kb_index_threads", list)
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()
    return thread


def join_background(app: Flask, timeout: float = 60) -> None:
    """Wait for this app's background catch-ups and rebuilds (tests, before the engine goes)."""
    for thread in list(app.extensions.get("kb_index_threads", ())):
        thread.join(timeout)
