"""Search and suggestions for the people on the phone: ranked, filtered, highlighted.

The index only proposes candidates; every result is re-read from the database and its
status checked again, so an index that lags behind never shows a draft or a retired
article to an operator. Each host's index catches up with the database's changes before a
search, at most every ``KB_INDEX_SYNC_SECONDS`` (``indexing.freshen``). When the index is
missing, empty or unreadable the search logs the error, has it rebuilt on this host (inline
in the embedded mode, in a background thread with Redis) and answers what it can, never an
error.

Ranking is hybrid. The lexical index ranks first; when it is not sure of its answer
(``_lexically_sure``), the question is also embedded, the articles nearest in meaning
(``knowledge_base.vectors``, top ``CANDIDATES``) join the lexical top ``LEXICAL_CANDIDATES``,
and both lists are fused: a weighted sum of their standardised scores (z-scores within each
list), ``DENSE_WEIGHT`` for the semantic side. Chosen on the evaluation sets' dev questions (bench/kb_eval.py,
bench/kb_gate_sim.py): fusing every question lifts the insurance set's ranking but costs
the government set, whose questions share the policies' wording, both quality and the
time of embedding each question; the gate keeps most of the first and none of the second
(figures: README, "Benchmarks"). Without the model, the vectors, or a
free model, search is lexical; the semantic side never makes a search fail.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import select
from whoosh import query as wq

from hotline.core import jobs
from hotline.core.db import read_only
from hotline.core.errors import Forbidden
from hotline.core.redis import get_redis
from hotline.extensions import db

from . import indexing, permissions, vectors
from .indexing import article_count, get_index
from .models import Article, Status, SynonymGroup
from .search import semantic, weighting
from .search.index import IndexUnavailable
from .search.query import Synonyms, build, snippet
from .search.schema import category_codes

log = logging.getLogger(__name__)

REINDEX_JOB = "knowledge_base.tasks.reindex"
REBUILD_REQUEST_INTERVAL = 60.0  # seconds between two rebuild requests from one process
# Fusion (chosen on both sets' dev questions, replayed by bench/kb_gate_sim.py): the right
# article is often the lexical side's 11th-200th when the semantic side ranks it high, and
# z-scores let a candidate far above its list's mean count more than min-max would.
LEXICAL_CANDIDATES = 200  # the lexical side's candidates for fusion (at least; ``limit`` if more)
CANDIDATES = 200  # the semantic side's
DENSE_WEIGHT = 0.5  # the semantic side's share of a fused score
SURE_SCORE = 42.0  # see _lexically_sure
SURE_LEAD = 2.0


@dataclass(frozen=True)
class SearchResult:
    """One ranked article. ``snippet`` is HTML: escaped text with matches in ``<mark>``."""

    id: int
    external_id: str | None
    title: str
    snippet: str
    score: float
    status: str
    category: str | None
    owner_unit: str | None


def search(
    viewer,
    text: str,
    *,
    limit: int = 10,
    category: str | None = None,
    owner_unit: str | None = None,
    status: str | None = None,
) -> list[SearchResult]:
    """Articles answering ``text``, best first.

    ``category`` also matches its sub-categories; ``status`` (editors only) defaults to
    published, the only status other roles ever see. Raises Forbidden for unit staff and
    for a status filter from a non-editor; never raises because of the index.
    """
    if not permissions.can_search(viewer):
        raise Forbidden("Your role does not use the knowledge base.", message_zh="您无权使用知识库。")
    if status is not None and not permissions.can_filter_status(viewer):
        raise Forbidden("Only knowledge editors filter by status.", message_zh="只有知识库编辑可以按状态筛选。")
    with read_only():  # a search never takes SQLite's write lock
        return _search(text, limit=limit, category=category, owner_unit=owner_unit, status=status or Status.PUBLISHED)


def suggest(viewer, text: str, *, limit: int = 5) -> list[SearchResult]:
    """Published articles for a ticket's content as the operator types it."""
    return search(viewer, text, limit=limit)


def _synonyms() -> Synonyms:
    # A handful of rows, read on every search: an editor's change counts from the next one.
    return Synonyms(db.session.scalars(select(SynonymGroup.terms)).all())


def _search(text, *, limit, category, owner_unit, status) -> list[SearchResult]:
    if not text or not text.strip():
        return []
    synonyms = _synonyms()
    filters = [wq.Term("status", status)]
    if category:
        filters.append(wq.Term("category", category))
    if owner_unit:
        filters.append(wq.Term("owner_unit", owner_unit))
    where = wq.And(filters)
    app = current_app._get_current_object()
    if not indexing.freshen(app):  # (before the clock starts: the semantic budget is the search's)
        log.warning("knowledge-base index: the database's change sequence is behind it; rebuilding")
        _request_rebuild()
    started = time.perf_counter()
    index = get_index(app)
    hybrid = bool(current_app.config.get("KB_SEMANTIC")) and not semantic.failed()
    hits, used, unsure = None, set(), False
    for attempt in range(3):
        try:
            with index.searcher() as searcher:
                _check_not_empty(index, searcher)
                query, used = build(searcher, text, synonyms)
                if query is None:
                    return []
                allowed = _allowed(searcher, where)
                if not allowed.any():
                    return []
                # (score, docnum), best first: the first ten decide whether the lexical side is
                # sure, and are what it brings to the fusion when it is not.
                top = _top(searcher, query, allowed, max(limit, LEXICAL_CANDIDATES) if hybrid else limit)
                unsure = hybrid and bool(top) and not _lexically_sure([s for s, _ in top])
                wanted = top if unsure else top[:limit]
                hits = [(int(searcher.stored_fields(docnum)["id"]), score) for score, docnum in wanted]
            break
        except IndexUnavailable:
            log.exception("knowledge-base index unavailable (attempt %d)", attempt + 1)
        except Exception:
            log.exception("knowledge-base search failed (attempt %d)", attempt + 1)
            index.forget()
            if attempt == 0:
                continue  # a stale searcher: retry once with a fresh one before rebuilding
        if not _request_rebuild():
            return []  # the rebuild runs in the background; answer nothing meanwhile
    if not hits:
        return []
    if unsure:
        try:
            hits = _fuse(text, hits, wait=time.perf_counter() - started + _budget())
        except Exception:  # the semantic side only ever adds: never an error because of it
            log.exception("the semantic side of a search failed; answering lexically")
    return _results(hits, used, limit=limit, status=status, category=category, owner_unit=owner_unit)


def _lexically_sure(scores: list[float]) -> bool:
    """True when the lexical ranking is clear enough to answer without the semantic side:
    the best article's BM25F score (about the idf of the question's words it contains) is
    at least ``SURE_SCORE``, or at least ``SURE_LEAD`` times the tenth's.

    On the dev questions (bench/kb_eval.py) such questions name what they ask about in
    words the articles use, fusion changes their ranking little or for the worse, and
    skipping it saves embedding the question. Most government questions are sure; few of
    the insurance set's short colloquial questions over many similar answers are. The
    thresholds were replayed offline (bench/kb_gate_sim.py): a lower ``SURE_SCORE`` fuses
    fewer insurance questions and loses quality there, a higher one fuses more government
    questions and brings their p95 to the target (figures: README, "Benchmarks").
    """
    top = scores[0]
    return top >= SURE_SCORE or (len(scores) >= 10 and top >= SURE_LEAD * scores[9])


def _standardised(scores: list[tuple[int, float]]) -> dict[int, float]:
    """Scores as z-scores within their list (mean 0, standard deviation 1); all equal, or
    only one: all 0."""
    if not scores:
        return {}
    values = np.fromiter((s for _, s in scores), dtype=np.float64, count=len(scores))
    mean, spread = values.mean(), values.std()
    if not spread > 0:
        return {key: 0.0 for key, _ in scores}
    return {key: float(z) for (key, _), z in zip(scores, (values - mean) / spread, strict=True)}


def _combine(lexical: list[tuple[int, float]], dense: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Both sides' candidates by the weighted sum of their standardised scores, best first
    (ties: the lower id). A candidate one side lacks counts as that side's last; one that is
    also last on the side that has it (below that side's mean) is left out."""
    lexical_z, dense_z = _standardised(lexical), _standardised(dense)
    lexical_floor = min(lexical_z.values(), default=0.0)
    dense_floor = min(dense_z.values(), default=0.0)
    fused = {}
    for key in lexical_z.keys() | dense_z.keys():
        lexical_score, dense_score = lexical_z.get(key), dense_z.get(key)
        if (lexical_score is None and dense_score == dense_floor < 0) or (
            dense_score is None and lexical_score == lexical_floor < 0
        ):
            continue
        fused[key] = DENSE_WEIGHT * (dense_floor if dense_score is None else dense_score) + (1 - DENSE_WEIGHT) * (
            lexical_floor if lexical_score is None else lexical_score
        )
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _budget() -> float:
    """Seconds the semantic side may take beyond what the lexical side took."""
    return float(current_app.config.get("KB_SEMANTIC_BUDGET_MS", 25)) / 1000


def _fuse(text: str, hits: list[tuple[int, float]], *, wait: float) -> list[tuple[int, float]]:
    """The lexical candidates fused with the articles nearest in meaning, best first; the
    lexical candidates alone when the semantic side cannot answer within ``wait`` seconds
    (the model or the vectors still loading, the model busy, the machine busy)."""
    if not semantic.ready():
        semantic.start_loading()
        return hits  # the first searches of a process: lexical until the model is loaded
    store = vectors.get_store(wait=False)
    if store is None or not len(store.ids):
        return hits  # no vectors (yet): do not pay for embedding the question
    # The question's vector and its nearest articles, on the model's query thread.
    future = semantic.query_future(text, then=lambda vector: store.nearest(vector, CANDIDATES))
    if future is None:
        return hits
    try:
        nearest = future.result(timeout=max(wait, 0.0))
    except FutureTimeout:
        future.cancel()  # dropped if it has not started; if it has, its vector is kept for next time
        log.info("knowledge base: the semantic side did not answer within %.0f ms; lexical answer", wait * 1000)
        return hits
    return hits if nearest is None else _combine(hits, nearest)


def warm_search(text: str) -> None:
    """One search for ``text`` with everything it loads (``knowledge_base.warmup``)."""
    _search(text, limit=10, category=None, owner_unit=None, status=Status.PUBLISHED)


def _top(searcher, query, allowed, limit: int) -> list[tuple[float, int]]:
    """The best ``limit`` allowed documents as (score, docnum), best first: scored in numpy
    (``weighting.top_n``, the same scores as Whoosh's), or by Whoosh if that cannot run."""
    try:
        return weighting.top_n(searcher, query, allowed, limit)
    except weighting.Unsupported:
        log.warning("knowledge-base search scored by Whoosh", exc_info=True)
    docs = set(np.flatnonzero(allowed).tolist())  # Whoosh takes a set, not a frozenset
    return searcher.search(query, limit=limit, filter=docs).top_n


def _allowed(searcher, where):
    """The documents a filter lets through (a boolean array by docnum), cached on this
    thread's searcher.

    Whoosh would otherwise walk the filter's postings on every search, the largest single
    cost of a search on the insurance set (bench/kb_eval.py). The cache lives and dies with the
    searcher, which is replaced whenever the index changes.
    """
    cache = searcher.__dict__.setdefault("_kb_filters", {})
    key = repr(where)
    mask = cache.get(key)
    if mask is None:
        if len(cache) >= 64:
            cache.clear()
        mask = np.zeros(searcher.doc_count_all(), dtype=bool)
        mask[list(searcher.docs_for_query(where))] = True
        cache[key] = mask
    return mask


def _check_not_empty(index, searcher) -> None:
    name = index.current_name()
    if name in index.verified:
        return
    if searcher.doc_count_all() == 0 and article_count() > 0:
        raise IndexUnavailable(f"index generation {name} is empty but the database has articles")
    index.verified.add(name)


def _request_rebuild() -> bool:
    """Rebuild this host's index; True when it already ran (embedded mode), so search again.

    With Redis, in a background thread of this process (at most one start per
    ``REBUILD_REQUEST_INTERVAL``; the machine-wide rebuild lock keeps it to one per host),
    never as a job: the ``search_index`` worker may run on another host, whose index is not
    this one."""
    app = current_app._get_current_object()
    if get_redis(app) is None:
        try:
            jobs.run_inline(app, jobs.JobSpec(REINDEX_JOB, queue="search_index"))  # logs its own failure
        except Exception:
            return False
        return True
    last = app.extensions.get("kb_rebuild_requested_at", 0.0)
    if time.monotonic() - last >= REBUILD_REQUEST_INTERVAL:
        app.extensions["kb_rebuild_requested_at"] = time.monotonic()
        indexing.in_background(app, lambda: indexing.rebuild(wait=False), "hotline-kb-rebuild")
    return False


def _results(hits, used, *, limit, status, category, owner_unit) -> list[SearchResult]:
    """The first ``limit`` hits the database confirms (read a few more than needed at a time:
    the semantic side proposes articles of any status, category or unit), with snippets."""
    found: list[tuple[Article, float]] = []
    step = limit + 5
    for start in range(0, len(hits), step):
        found.extend(_confirmed(hits[start : start + step], status=status, category=category, owner_unit=owner_unit))
        if len(found) >= limit:
            break
    return [
        SearchResult(
            id=article.id,
            external_id=article.external_id,
            title=article.title,
            snippet=snippet(article.body, used),  # only for the articles shown
            score=round(float(score), 4),
            status=article.status,
            category=article.category.code if article.category else None,
            owner_unit=article.owner_unit.code if article.owner_unit else None,
        )
        for article, score in found[:limit]
    ]


def _confirmed(hits, *, status, category, owner_unit) -> list[tuple[Article, float]]:
    """The hits whose article the database has, with this status, category and unit."""
    by_id = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_([i for i, _ in hits])))}
    out = []
    for article_id, score in hits:
        article = by_id.get(article_id)
        if article is None or article.status != status:
            continue  # the index lags behind the database: the database decides
        if category and category not in category_codes(article.category).split():
            continue
        if owner_unit and (article.owner_unit.code if article.owner_unit else None) != owner_unit:
            continue
        out.append((article, score))
    return out
