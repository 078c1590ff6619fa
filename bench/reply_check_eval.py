"""The reply check on real replies: /work/shared/data/replies/dev.jsonl.

    .venv/bin/python bench/reply_check_eval.py [--data PATH] [--seed 7]

1,383 citizens' messages with the official reply each received. Each message is checked
by the product's own code (``hotline.routing.replycheck.check``) with its own reply and
with the reply of another message picked at random (``--seed``). Printed: how often the
real replies pass each rule (they were published, so most should), how often a reply
paired with another message's content is caught as ``off_topic``, the ROC AUC of the
``on_topic`` score (own reply vs another's), the share of real replies flagged off topic at
a few thresholds, and, in the same run, the plain baseline (cosine of character bigrams
with nothing left out). The data is not part of the repository; without it the script says
so and exits with 2. Nothing of the data is printed but counts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path("/work/shared/data/replies/dev.jsonl")


def auc(positives: list[float], negatives: list[float]) -> float:
    """The probability that a positive scores above a negative (ties count half)."""
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    import hotline.models  # noqa: F401  (every mapper, before the routing modules)
    from hotline.routing import replycheck
    from hotline.routing.duplicates import bigrams, cosine

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    rng = random.Random(args.seed)
    others = list(range(len(rows)))
    rng.shuffle(others)
    others = [o if o != i else (o + 1) % len(rows) for i, o in enumerate(others)]

    own_scores, other_scores, base_own, base_other = [], [], [], []
    fails: Counter = Counter()
    passed_all = 0
    caught = 0
    for i, row in enumerate(rows):
        text = f"{row.get('title') or ''}\n{row['body']}"
        result = replycheck.check(row["reply"], ticket_text=text)
        fails.update(set(result.codes))
        passed_all += not result.issues
        own_scores.append(result.on_topic)
        other = rows[others[i]]["reply"]
        wrong = replycheck.check(other, ticket_text=text)
        other_scores.append(wrong.on_topic)
        caught += "off_topic" in wrong.codes or "placeholder" in wrong.codes
        base_own.append(cosine(bigrams(row["reply"]), bigrams(text)))
        base_other.append(cosine(bigrams(other), bigrams(text)))

    n = len(rows)
    print(f"messages: {n}; threshold on_topic < {replycheck.ON_TOPIC_MIN}")
    print("real replies passing each rule:")
    for code in replycheck.RULE_ORDER:
        print(f"  {code:16s} {1 - fails[code] / n:7.1%}   (failed {fails[code]})")
    print(f"  {'all rules':16s} {passed_all / n:7.1%}")
    print(f"another message's reply caught (off_topic or placeholder): {caught / n:.1%}")
    print(f"ROC AUC on_topic (own vs another's reply): {auc(own_scores, other_scores):.5f}")
    print(f"baseline, plain character-bigram cosine:   {auc(base_own, base_other):.5f}")
    print("threshold  real flagged  other caught")
    for t in (0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.10):
        flagged = sum(s < t for s in own_scores) / n
        hit = sum(s < t for s in other_scores) / n
        print(f"  {t:5.2f}     {flagged:7.1%}      {hit:7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
