"""The hybrid search's gate, simulated: MRR@10 and the share of questions fused, for several
thresholds, on both evaluation sets, from one pass over their dev questions.

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
                top = weighting.top_n(searcher, query, allowed, searching.LEXICAL_CANDIDATES) if query else []
                lexical = [(int(searcher.stored_fields(d)["id"]), s) for s, d in top]
                vector = semantic.embed_query(q["query"])
                dense = store.nearest(vector, searching.CANDIDATES) if vector is not None else []
                out.append({"lexical": lexical, "dense": dense, "relevant": set(q["relevant_ids"])})
        print(f"  {len(queries)} questions in {time.perf_counter() - started:.0f} s")
        for row in out:
            row["external"] = external
    return out


def replay(rows: list[dict], sure_score: float | None) -> tuple[float, float]:
    """(MRR@10, share fused) with the product's gate at ``sure_score`` (None: always fuse;
    inf: never), through ``searching._lexically_sure`` and ``searching._combine``."""
    from knowledge_base import searching

    shipped = searching.SURE_SCORE
    searching.SURE_SCORE = shipped if sure_score is None else sure_score
    reciprocal = fused = 0
    try:
        for row in rows:
            lexical = row["lexical"]
            if not lexical:
                continue
            scores = [s for _, s in lexical]
            sure = sure_score == np.inf or (sure_score is not None and searching._lexically_sure(scores))
            ranked = lexical if sure else searching._combine(lexical, row["dense"])
            fused += not sure
            ids = [row["external"][i] for i, _ in ranked[:10]]
            rank = next((k for k, x in enumerate(ids) if x in row["relevant"]), None)
            reciprocal += 0 if rank is None else 1 / (rank + 1)
    finally:
        searching.SURE_SCORE = shipped
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
            print(f"{label:>12} {mrr:8.3f} {fused:7.1%}{shipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
