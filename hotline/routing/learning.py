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

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

RETURN_PENALTY = 2.0  # a return cancels this many kept tickets of the category
AREA_PRIOR = 5.0  # pseudo-count of the city-wide shares in an area's shares
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
    analyzer of the word features; module-level so that the model pickles)."""
    from knowledge_base.search.analyzer import ensure_jieba, normalise

    cut = ensure_jieba()
    return [w for w in cut(normalise(text)) if w.strip() and any(ch.isalnum() for ch in w)]


def chars(text: str) -> str:
    from knowledge_base.search.analyzer import normalise

    return normalise(text)


@dataclass
class Trained:
    categories: list[str]
    vectorizers: list = field(default_factory=list)
    classifier: object = None  # None: a single category, or none
    calibrated: bool = False
    unit_counts: dict = field(default_factory=dict)  # category → {unit: weight}
    area_counts: dict = field(default_factory=dict)  # (category, area) → {unit: weight}
    examples: int = 0
    train_seconds: float = 0.0
    method: str = METHOD

    # -- asking ------------------------------------------------------------------------------

    def category_scores(self, text: str) -> list[tuple[str, float]]:
        """(category code, probability), best first."""
        if not self.categories:
            return []
        if self.classifier is None:
            return [(self.categories[0], 1.0)]
        import numpy as np

        x = _features(self.vectorizers, [text])
        if self.calibrated:
            p = self.classifier.predict_proba(x)[0]
        else:
            d = np.atleast_1d(self.classifier.decision_function(x)[0])
            if d.shape[0] == 1:  # two classes: one score for the second
                d = np.array([-d[0], d[0]])
            e = np.exp(3.0 * (d - d.max()))
            p = e / e.sum()
        classes = list(self.classifier.classes_)
        ranked = sorted(zip(classes, (float(v) for v in p), strict=True), key=lambda cp: -cp[1])
        return ranked

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


def _features(vectorizers, texts):
    from scipy.sparse import hstack

    return hstack([v.transform(texts) for v in vectorizers]).tocsr()


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


def _fit_categories(trained: Trained, kept: list[Example]) -> None:
    from collections import Counter

    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts = [e.text for e in kept]
    labels = [e.category for e in kept]
    trained.vectorizers = [
        TfidfVectorizer(analyzer=words, sublinear_tf=True, max_features=MAX_WORD_FEATURES, dtype=np.float32),
        TfidfVectorizer(
            analyzer="char",
            preprocessor=chars,
            ngram_range=(1, 3),
            min_df=2 if len(kept) >= 200 else 1,
            sublinear_tf=True,
            max_features=MAX_CHAR_FEATURES,
            dtype=np.float32,
        ),
    ]
    x = _train_features(trained.vectorizers, texts)
    svm = LinearSVC(C=SVM_C, class_weight="balanced")
    if min(Counter(labels).values()) >= 3:
        trained.classifier = CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False).fit(x, labels)
        trained.calibrated = True
    else:
        trained.classifier = svm.fit(x, labels)


def _train_features(vectorizers, texts):
    from scipy.sparse import hstack

    return hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()


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
