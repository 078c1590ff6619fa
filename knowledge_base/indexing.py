"""The database → index glue: which index an app uses, full rebuilds, per-article updates.

The database is the source of truth and the index a cache: everything here re-reads the
database, so running any of it twice (rq delivers at least once) gives the same index.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from hotline.core import clock
from hotline.core.db import read_only
from hotline.extensions import db

from .models import Article
from .search.analyzer import ensure_jieba
from .search.index import IndexBuildError, IndexUnavailable, SearchIndex
from .search.schema import document

log = logging.getLogger(__name__)
_lock = threading.Lock()


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
    started = clock.now() - timedelta(seconds=2)
    # Only reads: never take SQLite's write lock (a caller up the stack may hold it).
    with read_only(), index.rebuild_lock(wait=wait) as acquired:
        if not acquired:
            log.info("a knowledge-base rebuild is already running; not starting another")
            return None
        try:
            name, count = index.build(documents(), progress=progress, procs=procs)
        except IndexBuildError:
            if procs == 1:
                raise
            log.exception("the parallel rebuild lost documents; building again in one process")
            name, count = index.build(documents())
        changed = db.session.scalars(select(Article).where(Article.updated_at >= started)).all()
        if changed:
            index.apply([document(a) for a in changed])
    log.info("knowledge-base index rebuilt: %s, %d articles", name, count)
    return name, count


def update_articles(article_ids: Iterable[int]) -> int:
    """Write these articles' current state to the index (removing ids that no longer exist)."""
    ids = sorted({int(i) for i in article_ids})
    index = get_index()
    if index.current_name() is None:
        result = rebuild()
        return result[1] if result else 0
    with read_only():
        found = db.session.scalars(select(Article).where(Article.id.in_(ids))).all() if ids else []
    missing = [str(i) for i in set(ids) - {a.id for a in found}]
    try:
        return index.apply([document(a) for a in found], missing)
    except IndexUnavailable:
        result = rebuild()
        return result[1] if result else 0
