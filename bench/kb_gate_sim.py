"""The hybrid search's gate and fusion, simulated: MRR@10 and the share of questions fused, for
several thresholds and fusion settings, on both evaluation sets, from one pass over their dev
questions.

    .venv/bin/python bench/kb_gate_sim.py [--data DIR] [--set gov|insurance|all] [--cache DIR]

For each set it builds the product as bench/kb_eval.py does (``kb import``, ``kb reindex``,
the articles' vectors from the same cache), then takes for every dev question what the
product's search has before it decides: the lexical top ten with their scores
(``weighting.top_n``, as ``searching._search`` calls it) and the ``CANDIDATES`` articles
nearest in meaning (``vectors.get_store().nearest`` of ``semantic.embed_query``). It then
replays ``searching._lexically_sure`` and ``searching._combine`` for each ``SURE_SCORE``
below (``SURE_LEAD`` as shipped), without the database's re-check (every article of the
evaluation sets is published). "never" is the lexical side alone, "always" fuses every
question. This is how the shipped gate was chosen: the government set's p95 grows with the
share of its questions fused (each costs the question's embedding, 10-20 ms), and the
insurance set's MRR@10 with the share of its own. (Articles with equal scores are ordered
as the index holds them, which a parallel rebuild does not fix: MRR@10 may differ from
bench/kb_eval.py's by 0.001.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kb_eval import DEFAULT_DATA, SETS, build_product, load_jsonl

SURE_SCORES = (32.0, 36.0, 40.0, 42.0, 45.0, 50.0, 60.0)
POOL = 200  # candidates collected from each side; the settings below take their first n
# (label, lexical candidates, semantic candidates, semantic weight, normalisation)
FUSIONS = (
    ("before: 10 + 200, min-max, 0.6", 10, 200, 0.6, "min-max"),
    ("10 + 200, z-scores, 0.6", 10, 200, 0.6, "z"),
    ("10 + 200, z-scores, 0.5", 10, 200, 0.5, "z"),
    ("50 + 100, min-max, 0.5", 50, 100, 0.5, "min-max"),
    ("50 + 100, z-scores, 0.5", 50, 100, 0.5, "z"),
    ("100 + 100, min-max, 0.5", 100, 100, 0.5, "min-max"),
    ("100 + 100, z-scores, 0.45", 100, 100, 0.45, "z"),
    ("100 + 100, z-scores, 0.5", 100, 100, 0.5, "z"),
    ("100 + 100, z-scores, 0.55", 100, 100, 0.55, "z"),
    ("200 + 200, z-scores, 0.5", 200, 200, 0.5, "z"),
)


def candidates(articles_path: Path, queries: list[dict], workdir: Path, cache: Path) -> list[dict]:
    from sqlalchemy import select
    from whoosh import query as wq

    from hotline.extensions import db
    from knowledge_base import indexing, searching, vectors
    from knowledge_base.models import Article, Status
    from knowledge_base.search import semantic, weighting
    from knowledge_base.search.query import build

    app, _, _, _ = build_product(articles_path, workdir, vector_cache=cache)
    out = []
    with app.app_context():
        app.config["KB_SEMANTIC"] = True
        external = dict(db.session.execute(select(Article.id, Article.external_id)).all())
        synonyms = searching._synonyms()
        store = vectors.get_store()
        started = time.perf_counter()
        with indexing.get_index().searcher() as searcher:
            allowed = searching._allowed(searcher, wq.And([wq.Term("status", Status.PUBLISHED)]))
            for q in queries:
                query, _ = build(searcher, q["query"], synonyms)
                top = weighting.top_n(searcher, query, allowed, POOL) if query else []
                lexical = [(int(searcher.stored_fields(d)["id"]), s) for s, d in top]
                vector = semantic.embed_query(q["query"])
                dense = store.nearest(vector, POOL) if vector is not None else []
                out.append({"lexical": lexical, "dense": dense, "relevant": set(q["relevant_ids"])})
        print(f"  {len(queries)} questions in {time.perf_counter() - started:.0f} s")
        for row in out:
            row["external"] = external
    return out


def _minmax_combine(lexical: list[tuple[int, float]], dense: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The fusion as shipped before: min-max-normalised scores (0 where a side lacks one)."""
    from knowledge_base import searching

    def normalised(scores):
        if not scores:
            return {}
        low, high = min(s for _, s in scores), max(s for _, s in scores)
        return {k: 1.0 if high == low else (v - low) / (high - low) for k, v in scores}

    lexical_n, dense_n = normalised(lexical), normalised(dense)
    w = searching.DENSE_WEIGHT
    fused = {k: w * dense_n.get(k, 0.0) + (1 - w) * lexical_n.get(k, 0.0) for k in lexical_n.keys() | dense_n.keys()}
    return sorted(((k, v) for k, v in fused.items() if v > 0), key=lambda item: (-item[1], item[0]))


def replay(rows: list[dict], sure_score: float | None, fusion: tuple | None = None) -> tuple[float, float]:
    """(MRR@10, share fused) with the product's gate at ``sure_score`` (None: always fuse;
    inf: never), through ``searching._lexically_sure`` and ``searching._combine`` (or, for
    a ``FUSIONS`` row, its numbers of candidates, weight and normalisation)."""
    from knowledge_base import searching

    shipped = searching.SURE_SCORE, searching.DENSE_WEIGHT
    n_lexical, n_dense, combine = searching.LEXICAL_CANDIDATES, searching.CANDIDATES, searching._combine
    searching.SURE_SCORE = shipped[0] if sure_score is None else sure_score
    if fusion is not None:
        _, n_lexical, n_dense, searching.DENSE_WEIGHT, how = fusion
        combine = _minmax_combine if how == "min-max" else searching._combine
    reciprocal = fused = 0
    try:
        for row in rows:
            lexical = row["lexical"]
            if not lexical:
                continue
            scores = [s for _, s in lexical]
            sure = sure_score == np.inf or (sure_score is not None and searching._lexically_sure(scores))
            ranked = lexical if sure else combine(lexical[:n_lexical], row["dense"][:n_dense])
            fused += not sure
            ids = [row["external"][i] for i, _ in ranked[:10]]
            rank = next((k for k, x in enumerate(ids) if x in row["relevant"]), None)
            reciprocal += 0 if rank is None else 1 / (rank + 1)
    finally:
        searching.SURE_SCORE, searching.DENSE_WEIGHT = shipped
    return reciprocal / len(rows), fused / len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hotline-kb-probe")
    args = parser.parse_args()
    from knowledge_base import searching

    for name in SETS if args.set == "all" else (args.set,):
        articles, queries = args.data / f"{name}_articles.jsonl", load_jsonl(args.data / f"{name}_queries_dev.jsonl")
        print(f"\n== {name}: {len(queries)} dev questions")
        with tempfile.TemporaryDirectory() as workdir:
            rows = candidates(articles, queries, Path(workdir), args.cache)
        print(f"{'SURE_SCORE':>12} {'MRR@10':>8} {'fused':>7}")
        for label, value in (("never", np.inf), *((f"{s:g}", s) for s in SURE_SCORES), ("always", None)):
            mrr, fused = replay(rows, value)
            shipped = " (shipped)" if value == searching.SURE_SCORE else ""
            print(f"{label:>12} {mrr:8.4f} {fused:7.1%}{shipped}")
        heading = "fusion (candidates, normalisation, weight)"
        print(f"\n{heading:<44} {'MRR@10':>8}  (gate as shipped)")
        for fusion in FUSIONS:
            mrr, _ = replay(rows, searching.SURE_SCORE, fusion)
            shipped = fusion[1:] == (
                searching.LEXICAL_CANDIDATES,
                searching.CANDIDATES,
                searching.DENSE_WEIGHT,
                "z",
            )
            print(f"{fusion[0]:<44} {mrr:8.4f}{' (shipped)' if shipped else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
