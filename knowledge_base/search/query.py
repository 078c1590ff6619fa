"""Queries built from a citizen's words, and highlighted snippets.

A question is not a keyword query: every term of the question is OR-ed and BM25F ranks
the articles that share the most (and rarest) of them. The query is built from analysed
terms only: Whoosh's query parser is never used, so ``title:x``, ``status:draft``, ``*``,
``AND``/``OR``/``NOT`` and quotes are plain text here and can reach no field but
``content`` and no article the status filter excludes.

Terms found in more than ``MAX_DF_RATIO`` of the articles (above a floor, so that a small
knowledge base prunes nothing) are dropped, as they cost the most postings and separate
the least, and at most ``MAX_TERMS`` of the rarest terms are kept. Measured with
bench/kb_eval.py: in a collection where every article is about one subject (insurance),
its common words still separate questions, and a cut at 10% cost quality there. The cut
was at a fifth while Whoosh walked the postings one at a time; scored in numpy
(``weighting``), a cut at half costs no measurable time and scores MRR@10 0.240 against
0.236 on the insurance set, 0.870 against 0.869 on the government set (lexical side
alone). Synonyms are applied here, at query time, so an editor's change takes effect on
the next search without a reindex.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable
from html import escape

from whoosh import query as wq

from .analyzer import normalise, weighted_terms
from .schema import CONTENT

MAX_QUERY_CHARS = 2000  # longer text is cut (a whole ticket is rarely longer)
MAX_TERMS = 20
MAX_DF_RATIO = 0.5
MIN_PRUNE_DF = 50  # never prune a term found in fewer articles than this
FALLBACK_TERMS = 4  # when every term is common, keep this many of the rarest
SYNONYM_WEIGHT = 0.5  # a term reached through a synonym counts half


class Synonyms:
    """Synonym groups, e.g. [["社保", "社会保险"], ["公积金", "住房公积金"]]."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()):
        self.groups = [tuple(normalise(t) for t in group if t) for group in groups]

    def expand(self, text: str) -> list[str]:
        """Words of other members of every group one of whose members occurs in ``text``."""
        norm = normalise(text)
        extra: list[str] = []
        for group in self.groups:
            present = [t for t in group if t in norm]
            if present:
                extra.extend(t for t in group if t not in present and not any(t in p for p in present))
        return extra


def query_terms(text: str, synonyms: Synonyms | None = None) -> Counter:
    """Term → weight for a question (its own terms, then its synonyms' at half weight).

    A term's weight is the sum over its occurrences of :func:`weighted_terms`' weights.
    """
    text = (text or "")[:MAX_QUERY_CHARS]
    weights: Counter = Counter()
    for term, weight in weighted_terms(text):
        weights[term] += weight
    if synonyms is not None:
        for word in synonyms.expand(text):
            for term, weight in weighted_terms(word):
                if term not in weights:
                    weights[term] += SYNONYM_WEIGHT * weight
    return weights


def build(searcher, text: str, synonyms: Synonyms | None = None) -> tuple[wq.Query | None, set[str]]:
    """The Whoosh query for ``text`` and the terms it uses (for highlighting); None if no term."""
    weights = query_terms(text, synonyms)
    if not weights:
        return None, set()
    total = max(searcher.doc_count(), 1)
    limit_df = max(MAX_DF_RATIO * total, MIN_PRUNE_DF)
    kept, common = [], []
    for term, weight in weights.items():
        df = searcher.doc_frequency(CONTENT, term)
        if df == 0:
            continue
        (kept if df <= limit_df else common).append((math.log(total / df), term, weight))
    if not kept:
        kept = sorted(common, reverse=True)[:FALLBACK_TERMS]
    kept = sorted(kept, reverse=True)[:MAX_TERMS]
    if not kept:
        return None, set()
    used = {term for _, term, _ in kept}
    return wq.Or([wq.Term(CONTENT, term, boost=float(weight)) for _, term, weight in kept]), used


MAX_OCCURRENCES = 200  # per term, when looking for matches to highlight


def _occurrences(norm: str, wanted: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every occurrence of the wanted terms in normalised text, in order."""
    spans = []
    for term in wanted:
        start = norm.find(term)
        found = 0
        while start != -1 and found < MAX_OCCURRENCES:
            spans.append((start, start + len(term), term))
            found += 1
            start = norm.find(term, start + 1)
    spans.sort()
    return spans


NORMALISED_CACHE = 512  # articles' normalised bodies kept (the articles found most often)
NORMALISED_CACHE_CHARS = 20_000  # longer bodies are normalised each time (bounds the memory)


@functools.lru_cache(maxsize=NORMALISED_CACHE)
def _normalised_cached(text: str) -> str:
    return normalise(text)


def _normalised(text: str) -> str:
    """``normalise(text)``, remembered for the bodies that keep coming back in results:
    normalising a body took a quarter of a search's time on the government set (profiled
    with bench/kb_eval.py's questions); hashing it to find it again costs a few µs."""
    return _normalised_cached(text) if len(text) <= NORMALISED_CACHE_CHARS else normalise(text)


def snippet(text: str, wanted: set[str], *, width: int = 120) -> str:
    """An HTML-safe excerpt of ``text`` around the most query terms, matches in ``<mark>``.

    The text is escaped with ``html.escape`` and the only markup added is ``<mark>`` and
    ``</mark>``, so the snippet can be inserted into a page as HTML as it is.
    """
    spans = _occurrences(_normalised(text), wanted)
    if not spans:
        cut = text[:width]
        return escape(cut) + ("…" if len(text) > width else "")
    # Slide a window of ``width`` characters over the matches; keep the one that holds the
    # most different terms.
    best_start, best_score = spans[0][0], -1
    window: Counter = Counter()
    ahead = 0
    for start, _, term in spans:
        while ahead < len(spans) and spans[ahead][0] < start + width - 2:
            window[spans[ahead][2]] += 1
            ahead += 1
        if len(window) > best_score:
            best_start, best_score = start, len(window)
        window[term] -= 1
        if not window[term]:
            del window[term]
    begin = max(0, best_start - 15)
    end = min(len(text), begin + width)
    marks: list[list[int]] = []
    for start, stop, _ in spans:
        if start < begin or stop > end:
            continue
        if marks and start <= marks[-1][1]:
            marks[-1][1] = max(marks[-1][1], stop)
        else:
            marks.append([start, stop])
    out = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in marks:
        out.append(escape(text[cursor:start]))
        out.append("<mark>" + escape(text[start:stop]) + "</mark>")
        cursor = stop
    out.append(escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)
