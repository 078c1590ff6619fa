"""A probe (not run by ``make bench``): would the knowledge base's embedding model help the
dispatch suggestions' category? On the 4,930 real citizens' messages
(``../shared/data/messages/dev.jsonl``; read only, never copied).

    .venv/bin/python bench/dispatch_e5_probe.py [--seed 7] [--tokens 64] [--limit N]

A stratified 60/40 split; macro-F1 of: the product's features (TF-IDF of jieba words and of
character 1-3-grams, linear SVM with balanced class weights), logistic regression on the
model's vectors alone, and the vectors appended to the TF-IDF features with several weights;
the CPU the embedding took per message (what a suggestion would add).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "messages" / "dev.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--limit", type=int, default=0, help="the first N messages only (a quick look)")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: nothing to measure")
        return 0
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    import hotline.models  # noqa: F401  (the mappers the routing modules configure)
    from hotline.routing import learning
    from knowledge_base.search import semantic

    rows = [json.loads(line) for line in DATA.open(encoding="utf-8") if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    texts = [f"{r.get('title') or ''}\n{r.get('body') or ''}"[: learning.MAX_TEXT] for r in rows]
    labels = np.array([r["label"] for r in rows])
    train, test = train_test_split(np.arange(len(rows)), test_size=0.4, stratify=labels, random_state=args.seed)

    started = time.process_time()
    vectors = semantic.embed_texts([t.replace("\n", "。") for t in texts], kind="query", tokens=args.tokens)
    cpu = time.process_time() - started
    print(
        f"{len(rows)} messages embedded at {args.tokens} tokens in {cpu:.0f} CPU s "
        f"({cpu / len(rows) * 1000:.0f} ms each)"
    )

    words = TfidfVectorizer(analyzer=learning.words, sublinear_tf=True, max_features=learning.MAX_WORD_FEATURES)
    chars = TfidfVectorizer(
        analyzer=learning.char_ngrams, sublinear_tf=True, max_features=learning.MAX_CHAR_FEATURES, min_df=2
    )
    x_train = hstack([v.fit_transform([texts[i] for i in train]) for v in (words, chars)]).tocsr()
    x_test = hstack([v.transform([texts[i] for i in test]) for v in (words, chars)]).tocsr()

    def report(name: str, predicted) -> None:
        print(f"  {name:36s} macro-F1 {f1_score(labels[test], predicted, average='macro'):.4f}")

    report(
        "TF-IDF words + characters, SVM", LinearSVC(class_weight="balanced").fit(x_train, labels[train]).predict(x_test)
    )
    for c in (1, 10, 100):
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(vectors[train], labels[train])
        report(f"vectors alone, logistic C={c}", model.predict(vectors[test]))
    for weight in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0):
        both_train = hstack([x_train, csr_matrix(vectors[train] * weight)]).tocsr()
        both_test = hstack([x_test, csr_matrix(vectors[test] * weight)]).tocsr()
        svm = LinearSVC(class_weight="balanced").fit(both_train, labels[train])
        report(f"TF-IDF + {weight} x vectors, SVM", svm.predict(both_test))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
