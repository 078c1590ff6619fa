"""Article vectors: computed by jobs, kept in the database, held in memory for search.

The database is the source of truth here too. After an article's text changes, a job on the
``kb_vectors`` queue (inline after the commit without Redis) embeds it and upserts its row
in ``kb_article_vectors``; the row names the model and the text it came from
(``content_sha``), so running a job twice, or two at once, computes nothing twice and
leaves one row. Any number of workers may serve the queue. A full ``kb reindex`` does not
touch the vectors: the lexical index rebuilds in seconds, embedding 27k articles takes
minutes (README, "Benchmarks"), and only changed texts need it. Processes that embed run
below the web processes (``lower_priority``).

Each search process keeps every vector in one matrix (27k articles: 40 MB) and reloads
only the rows written since it last looked, at most every ``KB_VECTOR_REFRESH_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hotline.core import clock, jobs
from hotline.core.db import read_only
from hotline.extensions import db

from .indexing import per_app
from .models import Article, ArticleVector
from .search import semantic

log = logging.getLogger(__name__)

EMBED_JOB = "knowledge_base.tasks.embed_articles"
QUEUE = "kb_vectors"
BATCH = 32  # articles per job: a few seconds of work, retried as a whole
# Rows are reloaded from this long before the newest seen, so a transaction that committed
# late (its embedded_at older than a row already seen) is still picked up.
RELOAD_OVERLAP = timedelta(minutes=2)


def enabled(app: Flask | None = None) -> bool:
    """True when this app uses semantic search and the model loads in this process."""
    app = app or current_app._get_current_object()
    return bool(app.config.get("KB_SEMANTIC")) and semantic.available()


def embed_articles(article_ids: Iterable[int]) -> int:
    """Compute and store the vectors of these articles whose text changed; returns how many."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    todo = _stale(ids)
    if not todo:
        return 0
    # The model takes seconds: no transaction is held meanwhile (on SQLite a job's
    # transaction holds the one write lock from its first statement, and every sign-in and
    # reply would wait for the embedding, then fail).
    db.session.commit()
    vectors = semantic.embed_passages([text for _, text, _ in todo])
    now = clock.now()
    rows = [
        {"article_id": article_id, "content_sha": sha, "vector": vector.astype("<f4").tobytes(), "embedded_at": now}
        for (article_id, _, sha), vector in zip(todo, vectors, strict=True)
    ]
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ArticleVector).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ArticleVector.article_id],
        set_={"content_sha": stmt.excluded.content_sha, "vector": stmt.excluded.vector, "embedded_at": now},
    )
    db.session.execute(stmt)
    return len(rows)


def _stale(ids: list[int] | None = None) -> list[tuple[int, str, str]]:
    """(id, passage text, its content_sha) of these articles (default: all) whose vector is
    missing, damaged, or was computed from another text or model. Reads only the columns
    the text is made of."""
    vector_rows = select(ArticleVector.article_id, ArticleVector.content_sha, func.length(ArticleVector.vector))
    texts = select(Article.id, Article.title, Article.keywords, Article.body).order_by(Article.id)
    if ids is not None:
        vector_rows = vector_rows.where(ArticleVector.article_id.in_(ids))
        texts = texts.where(Article.id.in_(ids))
    stored = {
        article_id: sha
        for article_id, sha, size in db.session.execute(vector_rows)
        if size == semantic.DIM * 4  # a damaged row is computed again
    }
    out = []
    for article_id, title, keywords, body in db.session.execute(texts.execution_options(yield_per=1000)):
        text = semantic.passage_text(title, keywords, body)
        sha = semantic.content_sha(text)
        if stored.get(article_id) != sha:
            out.append((article_id, text, sha))
    return out


def missing_ids() -> list[int]:
    """Articles whose vector is missing, damaged, or was computed from another text or model."""
    return [article_id for article_id, _, _ in _stale()]


def embed_missing(ids: Iterable[int] | None = None, *, progress: Callable[[int], None] | None = None) -> int:
    """Embed, here, these articles (default: every one without a current vector) that need it,
    committing batch by batch; returns how many. ``progress`` gets each batch's size."""
    done = 0
    ids = missing_ids() if ids is None else sorted(set(ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        done += embed_articles(batch)
        db.session.commit()
        if progress:
            progress(len(batch))
    return done


def schedule(article_ids: Iterable[int], app: Flask | None = None) -> int:
    """Queue the embedding of these articles (inline without Redis); returns the jobs sent."""
    app = app or current_app._get_current_object()
    if not app.config.get("KB_SEMANTIC"):
        return 0
    ids = sorted({int(i) for i in article_ids})
    sent = 0
    for start in range(0, len(ids), BATCH):
        spec = jobs.JobSpec(EMBED_JOB, tuple(ids[start : start + BATCH]), queue=QUEUE, retry_intervals=(10, 60, 300))
        try:
            jobs.submit(app, spec)
        except Exception:
            # Redis down, or the inline job failed (logged and recorded there): the hourly
            # sweep or `kb embed` computes it later; search ranks it lexically meanwhile.
            log.warning("the embedding of articles %s was not queued or failed", spec.args, exc_info=True)
        else:
            sent += 1
    return sent


def coverage() -> tuple[int, int]:
    """(articles with a current-looking vector row, articles)."""
    vectors = db.session.scalar(select(func.count(ArticleVector.article_id))) or 0
    articles = db.session.scalar(select(func.count(Article.id))) or 0
    return vectors, articles


class VectorStore:
    """Every stored vector of one process, as a matrix, refreshed from the database."""

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self._lock = threading.Lock()
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, semantic.DIM), dtype=np.float32)
        self._row: dict[int, int] = {}
        self._newest = None
        self._checked = float("-inf")
        self.loaded = False  # the first refresh is done
        self._loader: threading.Thread | None = None

    def refresh(self, interval: float, *, wait: bool = True) -> None:
        """Reload what changed if ``interval`` seconds passed since the last look; without
        ``wait``, a refresh another thread is running is not waited for."""
        if time.monotonic() - self._checked < interval:
            return
        if not self._lock.acquire(blocking=wait):
            return  # another thread is reloading: answer with the matrix as it is
        try:
            if time.monotonic() - self._checked < interval:
                return
            with read_only():
                count, newest = db.session.execute(
                    select(func.count(ArticleVector.article_id), func.max(ArticleVector.embedded_at))
                ).one()
                if count < len(self._row):  # rows went away (articles deleted): start again
                    self._row, self._newest = {}, None
                    self.ids, self.matrix = self.ids[:0], self.matrix[:0]
                if newest is not None and (self._newest is None or newest > self._newest or count != len(self._row)):
                    self._load(newest)
            self._checked = time.monotonic()
            self.loaded = True
        finally:
            self._lock.release()

    def load_in_background(self, app: Flask) -> None:
        """The first load, in a thread of its own (once at a time)."""
        if not self._lock.acquire(blocking=False):
            return  # a load is running (the warm-up's)
        try:
            if self.loaded or (self._loader is not None and self._loader.is_alive()):
                return
            self._loader = threading.Thread(target=self._first_load, args=(app,), name="kb-vectors", daemon=True)
            self._loader.start()
        finally:
            self._lock.release()

    def _first_load(self, app: Flask) -> None:
        with app.app_context():
            try:
                self.refresh(0.0)
            except Exception:
                log.exception("knowledge base: loading the article vectors failed; search stays lexical")
            finally:
                db.session.remove()

    def _load(self, newest) -> None:
        np = self._np
        stmt = select(ArticleVector.article_id, ArticleVector.vector)
        if self._newest is not None:
            stmt = stmt.where(ArticleVector.embedded_at >= self._newest - RELOAD_OVERLAP)
        ids, matrix = list(self.ids), [self.matrix]
        fresh = []
        for article_id, blob in db.session.execute(stmt):
            if blob is None or len(blob) != semantic.DIM * 4:
                log.warning("article %s has a malformed vector; ignored", article_id)
                continue
            vector = np.frombuffer(blob, dtype="<f4")
            row = self._row.get(article_id)
            if row is not None:
                matrix[0][row] = vector
            else:
                self._row[article_id] = len(ids)
                ids.append(article_id)
                fresh.append(vector)
        if fresh:
            matrix.append(np.vstack(fresh))
        self.matrix = np.ascontiguousarray(np.vstack(matrix), dtype=np.float32)
        self.ids = np.asarray(ids, dtype=np.int64)
        self._newest = newest

    def nearest(self, vector, k: int) -> list[tuple[int, float]]:
        """The ``k`` stored articles closest to ``vector``: (article id, cosine), best first."""
        np = self._np
        ids, matrix = self.ids, self.matrix  # one consistent pair, even if a refresh swaps them
        if not len(ids):
            return []
        scores = matrix @ vector
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(ids[i]), float(scores[i])) for i in top]


def get_store(app: Flask | None = None, *, wait: bool = True) -> VectorStore | None:
    """This process's vector matrix for ``app``, refreshed if it is due. Without ``wait`` (a
    search): None while the first load runs in the background, and a refresh that another
    thread is running is not waited for."""
    app = app or current_app._get_current_object()
    store = per_app(app, "kb_vectors", VectorStore)
    if not wait and not store.loaded:
        store.load_in_background(app)
        return None
    store.refresh(app.config.get("KB_VECTOR_REFRESH_SECONDS", 5.0), wait=wait)
    return store


def lower_priority(app: Flask | None = None) -> int:
    """Lower this process's CPU priority to ``KB_WORKER_NICE`` (a process that embeds articles:
    the web processes' searches come first); returns the niceness now."""
    app = app or current_app._get_current_object()
    wanted = int(app.config.get("KB_WORKER_NICE", 10))
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if wanted > current:
        current = os.nice(wanted - current)
    return current
