"""BM25F ranking of an OR of terms, in numpy: Whoosh's scores, several times faster.

A question is an OR of up to twenty terms (``query.build``). Whoosh scores it one posting at
a time in Python, and for every posting reads the document's field length from the index
file (a seek and a read: the index is opened without mmap, see ``index._storage``). Here
every posting list is decoded a block at a time (and kept, the most used first, for the
next question that has the term), every document's field length is read once per
searcher (and kept with BM25's length part computed), and all postings are scored and
summed at once, several times faster than Whoosh's own scoring on both evaluation sets
(bench/kb_eval.py, the whole search with the database and snippets; figures: README,
"Benchmarks", "Figures behind the design").

The scores are Whoosh's to the last bit: the same formula, the same order of operations
(tests/kb/test_weighting.py compares them, with ties, across segments and deletions). On a
large index Whoosh skips blocks it judges cannot reach the top; this scores everything, so
it also finds the few documents that skipping lost (28 of the insurance set's 2,000
questions had one in their top ten).

It reads Whoosh's whoosh3 codec below its public API (Whoosh is pinned); anything it does
not expect raises :class:`Unsupported` and the caller uses Whoosh's own search.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.codec import whoosh3
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

log = logging.getLogger(__name__)

_BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]


def field_lengths(searcher, fieldname: str) -> list[int]:
    """Every document's length in ``fieldname`` on this leaf searcher (1 where unknown,
    as Whoosh's scorer counts it)."""
    reader = searcher.reader()
    count = reader.doc_count_all()
    try:
        # The lengths column: one byte per document (Whoosh's whoosh3 codec, pinned).
        column = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if column is None:
            return [1] * count
        stored = column._count
        raw = column._dbfile.get(column._basepos, stored) if stored else b""
        lengths = [_BYTE_LENGTHS[b] or 1 for b in raw[:count]]
        lengths.extend([1] * (count - len(lengths)))
        return lengths
    except AttributeError:  # another codec: the slow way, through the public API
        log.warning("field lengths read one by one: the index's codec is not whoosh3")
        return [reader.doc_field_length(docnum, fieldname, 1) for docnum in range(count)]


class Unsupported(Exception):
    """The fast path cannot run this query or read this index: use Whoosh's own search."""


def _norms(leaf, fieldname: str, b: float, k1: float, avgfl: float):
    """BM25's length part for every document of a leaf searcher, as a numpy array (cached)."""
    cache = leaf.__dict__.setdefault("_kb_norm_arrays", {})
    key = (fieldname, b, k1, avgfl)
    norms = cache.get(key)
    if norms is None:
        lengths = np.asarray(field_lengths(leaf, fieldname), dtype=np.float64)
        # Exactly the operations of whoosh.scoring.bm25's denominator, in its order.
        norms = cache[key] = k1 * ((1 - b) + b * lengths / avgfl)
    return norms


class _PostingsCache:
    """Decoded posting lists, least recently used out, shared by the process's threads.

    A segment never changes once written (a deletion only marks documents, which the
    caller's filter excludes), so a list is keyed by the segment's id and stays true for
    as long as the segment lives; a rebuild or a merge writes segments with new ids.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity  # postings
        self._lists: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        size = len(value[0])
        if size > self.capacity:
            return
        with self._lock:
            if key in self._lists:
                return
            self._lists[key] = value
            self._size += size
            while self._size > self.capacity:
                _, (ids, _) = self._lists.popitem(last=False)
                self._size -= len(ids)


# About 24 MB per process: the terms of the questions asked most come from memory.
POSTINGS = _PostingsCache(capacity=2_000_000)
_ABSENT = (np.zeros(0, dtype=np.int64), np.zeros(0))  # a term this segment does not have


def _postings(reader, fieldname: str, text: str):
    """(docnums, term frequencies) of a term in one segment (empty if it has none), from
    the cache or decoded a block at a time. Deleted documents are left in: the caller's
    filter excludes them."""
    try:
        key = (reader._segment.segment_id(), fieldname, text)
    except AttributeError:  # not a single segment's reader: nothing to key it by
        key = None
    found = POSTINGS.get(key) if key is not None else None
    if found is None:
        try:
            found = _decode(reader, fieldname, text)
        except TermNotFound:
            found = _ABSENT
        if key is not None:
            POSTINGS.put(key, found)
    return found


def _decode(reader, fieldname: str, text: str):
    from whoosh.matching.wrappers import FilterMatcher

    matcher = reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):  # the segment's deletions
        matcher = matcher.child
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        raise Unsupported(f"postings read by {type(matcher).__name__}")
    ids, weights = [], []
    try:
        while True:
            matcher._read_data()
            block_ids, block_weights = matcher._data[0], matcher._data[1]
            count = matcher._blocklength
            block = np.asarray(block_ids, dtype=np.int64)
            ids.append(block if matcher._byteids else np.cumsum(block))
            if block_weights is None:
                weights.append(np.ones(count))
            elif isinstance(block_weights, float):
                weights.append(np.full(count, block_weights))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
    except AttributeError as exc:  # not the codec this was written for (a damaged file raises others)
        raise Unsupported(f"postings not readable here: {exc!r}") from exc
    ids, weights = np.concatenate(ids), np.concatenate(weights)
    ids.flags.writeable = weights.flags.writeable = False  # shared through the cache
    return ids, weights


def top_n(searcher, query, allowed, limit: int) -> list[tuple[float, int]]:
    """``searcher.search(query, limit=limit, filter=...).top_n`` for an OR of terms, in numpy.

    ``allowed`` is a boolean array over the searcher's documents (the status, category and
    unit filter). Every posting of every term is scored at once (BM25F with the searcher's
    weighting, the terms' boosts) and summed per document; the best ``limit`` allowed
    documents come back as ``(score, docnum)``, best first, ties by docnum as Whoosh orders
    them. Whoosh walks the same postings one at a time in Python (with skipping on large
    indexes): this is several times faster on both sets (bench/kb_eval.py).
    Raises :class:`Unsupported` for anything but an OR of terms on a whoosh3 index.
    """
    terms = query.subqueries if isinstance(query, wq.Or) else [query]
    if not terms or any(type(term) is not wq.Term for term in terms):
        raise Unsupported(f"query {query!r}")
    weighting = searcher.weighting
    if not isinstance(weighting, scoring.BM25F):
        raise Unsupported(f"weighting {weighting!r}")
    k1 = weighting.K1
    scores = np.zeros(searcher.doc_count_all())
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        for term in terms:
            field, text = term.fieldname, term.text
            if not searcher.schema[field].scorable:
                raise Unsupported(f"field {field} is not scored")
            ids, tf = _postings(reader, field, text)
            if not len(ids):
                continue
            b = weighting._field_B.get(field, weighting.B)
            norms = _norms(leaf, field, b, k1, searcher.avg_field_length(field) or 1)
            # Whoosh's bm25(), then the term's boost, in the same order of operations.
            part = searcher.idf(field, text) * ((tf * (k1 + 1)) / (tf + norms[ids]))
            if term.boost != 1.0:
                part = part * term.boost
            scores[ids + offset] += part
    candidates = np.flatnonzero((scores > 0) & allowed)
    if len(candidates) > limit:
        # The limit-th best score; everything above it, and its ties, go on to the sort.
        kth = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))[:limit]
    return [(float(scores[docnum]), int(docnum)) for docnum in candidates[order]]
