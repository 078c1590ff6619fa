"""The model behind the dispatch suggestions: plain Python and scikit-learn, no database.

**Category** (诉求分类) from the ticket's words: a linear SVM over TF-IDF of jieba words and
of character 1–3-grams (chosen by measurement, README "Benchmarks": ``bench/dispatch_eval.py``),
calibrated with Platt scaling on cross-validated scores so that its scores are probabilities
(the confidence shown); with too few examples a class (under three), a softmax of the SVM's
scores instead.

**Lead unit** (主办单位): which unit kept tickets of each category, from the centre's history,
in that area when the area is known (backed off to the whole city when the area has few):
score(u) = Σ_c P(c | text) · share(u | c, area). A ticket whose lead unit kept it and replied
counts for that unit; each return (退单) counts ``RETURN_PENALTY`` against the unit that
returned a ticket of that category, so a unit that returns a kind of ticket stops being
suggested for it.

:class:`Trained` is pickled whole into the database (``SuggestionModel``): every web
process and worker on every host loads the same one.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

RETURN_PENALTY = 2.0  # a return cancels this many kept tickets of the category
AREA_PRIOR = 5.0  # pseudo-count of the city-wide shares in an area's shares
MAX_TEXT = 2000  # characters of a ticket read (training and asking alike): the start says what it is about
MAX_WORD_FEATURES = 60_000
MAX_CHAR_FEATURES = 120_000
SVM_C = 1.0
METHOD = "linear SVM (Platt-calibrated) over TF-IDF of jieba words + character 1-3-grams"


@dataclass(frozen=True)
class Example:
    """One ticket of the history. ``kept`` False: ``unit`` returned it (a lesson against)."""

    text: str
    category: str
    unit: str | None = None
    area: str | None = None
    kept: bool = True


def words(text: str) -> list[str]:
    """jieba words of the normalised text, spaces and punctuation-only pieces dropped (the
    analyzer of the word features, in training and in asking alike)."""
    from knowledge_base.search.analyzer import ensure_jieba, normalise

    cut = ensure_jieba()
    return [w for w in cut(normalise(text)) if w.strip() and any(ch.isalnum() for ch in w)]


_SPACES = re.compile(r"\s\s+")


def char_ngrams(text: str) -> list[str]:
    """Character 1-3-grams of the normalised text, runs of white space made one space (what
    scikit-learn's ``analyzer="char"`` does, as a function of ours so that asking needs no
    scikit-learn)."""
    from knowledge_base.search.analyzer import normalise

    text = _SPACES.sub(" ", normalise(text))
    grams = list(text)
    for n in (2, 3):
        grams += [text[i : i + n] for i in range(len(text) - n + 1)]
    return grams


ANALYZERS = {"words": words, "chars": char_ngrams}


@dataclass
class Compiled:
    """The fitted category model as plain arrays: asking it needs numpy only, not
    scikit-learn's objects (a few milliseconds instead of tens, and a smaller pickle).

    Features: for each analyzer, sublinear TF × IDF, L2-normalised (TfidfVectorizer's
    ``sublinear_tf=True``); scores: the SVM's ``x · W + b``; probabilities: each class's
    Platt sigmoid ``1 / (1 + exp(a·s + b))``, normalised to sum 1 (CalibratedClassifierCV's
    sigmoid method), or a softmax of the scores when uncalibrated.
    """

    classes: list[str]
    analyzers: list[str]  # keys of ANALYZERS
    vocabularies: list[dict]
    idfs: list  # float32 arrays
    offsets: list[int]
    weights: object  # float32 (n_features, n_scores)
    intercept: object  # float32 (n_scores,)
    platt: object | None  # float64 (n_scores, 2): a, b; None: softmax

    def vector(self, text: str):
        import numpy as np

        indices, values = [], []
        for name, vocabulary, idf, offset in zip(
            self.analyzers, self.vocabularies, self.idfs, self.offsets, strict=True
        ):
            counts: dict[int, int] = {}
            for token in ANALYZERS[name](text):
                j = vocabulary.get(token)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            v = tf * idf[cols]
            v /= np.sqrt((v * v).sum())
            indices.append(cols + offset)
            values.append(v)
        if not indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(indices), np.concatenate(values)

    def term_idf(self, analyzer: str = "chars") -> Callable[[str], float] | None:
        """A term's inverse document frequency in the history the model learned from (the
        reply check's weights: hotline.routing.replycheck); a term it did not keep (seen
        once, or past the feature limit) counts as the rarest. None without that analyzer."""
        if analyzer not in self.analyzers:
            return None
        i = self.analyzers.index(analyzer)
        vocabulary, idf = self.vocabularies[i], self.idfs[i]
        rarest = float(idf.max()) if len(idf) else 1.0

        def idf_of(term: str) -> float:
            j = vocabulary.get(term)
            return rarest if j is None else float(idf[j])

        return idf_of

    def probabilities(self, text: str):
        import numpy as np

        cols, vals = self.vector(text)
        scores = vals @ self.weights[cols] + self.intercept if len(cols) else self.intercept.astype(np.float64)
        scores = np.asarray(scores, dtype=np.float64)
        if self.platt is None:
            if len(self.classes) == 2:
                scores = np.array([-scores[0], scores[0]])
            e = np.exp(3.0 * (scores - scores.max()))
            return e / e.sum()
        p = 1.0 / (1.0 + np.exp(self.platt[:, 0] * scores + self.platt[:, 1]))
        if len(self.classes) == 2:
            return np.array([1.0 - p[0], p[0]])
        total = p.sum()
        return p / total if total > 0 else np.full(len(self.classes), 1.0 / len(self.classes))


@dataclass
class Trained:
    categories: list[str]
    compiled: Compiled | None = None  # None: a single category, or none
    unit_counts: dict = field(default_factory=dict)  # category → {unit: weight}
    area_counts: dict = field(default_factory=dict)  # (category, area) → {unit: weight}
    examples: int = 0
    train_seconds: float = 0.0
    method: str = METHOD

    # -- asking ------------------------------------------------------------------------------

    def term_idf(self) -> Callable[[str], float] | None:
        """Character n-grams' inverse document frequency in the history (``Compiled.term_idf``)."""
        return self.compiled.term_idf("chars") if self.compiled is not None else None

    def category_scores(self, text: str) -> list[tuple[str, float]]:
        """(category code, probability), best first."""
        if not self.categories:
            return []
        if self.compiled is None:
            return [(self.categories[0], 1.0)]
        p = self.compiled.probabilities(text)
        return sorted(zip(self.compiled.classes, (float(v) for v in p), strict=True), key=lambda cp: -cp[1])

    def unit_scores(self, category_scores: Sequence[tuple[str, float]], area: str | None) -> list[tuple[str, float]]:
        """(unit code, score in 0..1), best first, from the categories' probabilities."""
        scores: dict[str, float] = defaultdict(float)
        for category, p in category_scores:
            for unit, share in self.shares(category, area).items():
                scores[unit] += p * share
        return sorted(scores.items(), key=lambda us: (-us[1], us[0]))

    def shares(self, category: str, area: str | None) -> dict[str, float]:
        """share(u | category, area): who keeps this category's tickets (there)."""
        city = self.unit_counts.get(category) or {}
        total = sum(city.values())
        if total <= 0:
            return {}
        city_share = {u: w / total for u, w in city.items()}
        local = self.area_counts.get((category, area)) if area else None
        if not local:
            return city_share
        local_total = sum(local.values())
        units = set(city_share) | set(local)
        return {
            u: (local.get(u, 0.0) + AREA_PRIOR * city_share.get(u, 0.0)) / (local_total + AREA_PRIOR) for u in units
        }


def train(examples: Iterable[Example]) -> Trained:
    """Learn from the history. Cheap for a few tickets; seconds for thousands."""
    started = time.perf_counter()
    examples = list(examples)
    kept = [e for e in examples if e.kept]
    trained = Trained(categories=sorted({e.category for e in kept}), examples=len(examples))
    trained.unit_counts, trained.area_counts = _unit_counts(examples)
    if len(trained.categories) >= 2:
        _fit_categories(trained, kept)
    trained.train_seconds = time.perf_counter() - started
    return trained


def _fit_categories(trained: Trained, kept: list[Example]):
    """Fit, then keep the arrays (``trained.compiled``); returns scikit-learn's fitted
    vectorizers and classifier (the tests compare the two)."""
    from collections import Counter

    import numpy as np
    from scipy.sparse import hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts = [e.text[:MAX_TEXT] for e in kept]
    labels = [e.category for e in kept]
    limits = {"words": (MAX_WORD_FEATURES, 1), "chars": (MAX_CHAR_FEATURES, 2 if len(kept) >= 200 else 1)}
    vectorizers = {
        name: TfidfVectorizer(
            analyzer=ANALYZERS[name], sublinear_tf=True, max_features=limit, min_df=min_df, dtype=np.float32
        )
        for name, (limit, min_df) in limits.items()
    }
    x = hstack([v.fit_transform(texts) for v in vectorizers.values()]).tocsr()
    svm = LinearSVC(C=SVM_C, class_weight="balanced")
    if min(Counter(labels).values()) >= 3:
        model = CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False).fit(x, labels)
        inner = model.calibrated_classifiers_[0]
        fitted, platt = inner.estimator, np.array([[c.a_, c.b_] for c in inner.calibrators], dtype=np.float64)
    else:
        model = fitted = svm.fit(x, labels)
        platt = None
    offsets = np.cumsum([0] + [len(v.vocabulary_) for v in vectorizers.values()])[:-1]
    trained.compiled = Compiled(
        classes=[str(c) for c in fitted.classes_],
        analyzers=list(vectorizers),
        vocabularies=[{t: int(j) for t, j in v.vocabulary_.items()} for v in vectorizers.values()],
        idfs=[v.idf_.astype(np.float64) for v in vectorizers.values()],
        offsets=[int(o) for o in offsets],
        weights=np.ascontiguousarray(fitted.coef_.T, dtype=np.float32),
        intercept=np.asarray(fitted.intercept_, dtype=np.float32),
        platt=platt,
    )
    return vectorizers, model


def _unit_counts(examples: list[Example]) -> tuple[dict, dict]:
    city: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    area: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in examples:
        if not e.unit:
            continue
        weight = 1.0 if e.kept else -RETURN_PENALTY
        city[e.category][e.unit] += weight
        if e.area:
            area[(e.category, e.area)][e.unit] += weight

    def positive(table):
        out = {}
        for key, units in table.items():
            kept = {u: w for u, w in units.items() if w > 0}
            if kept:
                out[key] = kept
        return out

    return positive(city), positive(area)
