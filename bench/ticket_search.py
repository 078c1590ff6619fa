"""Ticket search by text: four ways compared on the city's tickets (PostgreSQL).

    .venv/bin/python bench/ticket_search.py --database-url postgresql://postgres@127.0.0.1/hotline_bench_city_x
    .venv/bin/python bench/ticket_search.py --database-url ... --sample 200000 --queries 40

On the newest ``--sample`` tickets of the database (copied into a schema of its own,
``bench_search``, dropped at the end), each way is built and then asked the same queries, the
two statements the ticket list runs for a search (the count, and the newest 25):

- ``like``: the substring scan the product ran before (``content LIKE '%q%' OR address LIKE
  '%q%'``), the baseline and the reference answer;
- ``trgm``: the same LIKE served by a pg_trgm GIN index (three characters or more only);
- ``jieba``: a tsvector of jieba's search-mode words (the knowledge base's tokenizer family),
  GIN-indexed, the query's jieba words AND-ed;
- ``bigram``: the product's (hotline/tickets/text_search.py): character bigrams with their
  positions, GIN-indexed, each run of the query a phrase.

Printed for each: build time (segmenting in Python included), size of table and index, p50/p95
of the two statements per kind of query, and recall and precision against ``like``'s answer
(the substring match, what a person searching expects).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import psycopg  # noqa: E402

from hotline.tickets import text_search  # noqa: E402

WORDS = ("路灯", "噪音", "停水", "物业", "垃圾", "漏水", "电梯", "小区", "占道", "公交", "停车", "施工", "社保", "违建")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def jieba_literal(jieba, content: str, address: str | None) -> str:
    words = {w.strip().lower() for w in jieba.cut_for_search(f"{content} {address or ''}", HMM=False)}
    return " ".join(f"'{w}'" for w in sorted(words) if w and all(ch.isalnum() for ch in w))


def jieba_query(jieba, q: str) -> str:
    words = [w.strip().lower() for w in jieba.cut(q, HMM=False)]
    return " & ".join(f"'{w}'" for w in words if w and all(ch.isalnum() for ch in w))


def build(conn, sample: int) -> dict:
    """The sample and every way's table and index; seconds per way."""
    conn.execute("DROP SCHEMA IF EXISTS bench_search CASCADE")
    conn.execute("CREATE SCHEMA bench_search")
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    conn.execute(
        "CREATE TABLE bench_search.tickets AS SELECT id, content, address, created_at FROM tickets "
        "ORDER BY id DESC LIMIT %s",
        (sample,),
    )
    conn.execute("ALTER TABLE bench_search.tickets ADD PRIMARY KEY (id)")
    conn.execute("CREATE INDEX ON bench_search.tickets (created_at)")
    rows = conn.execute("SELECT id, content, address FROM bench_search.tickets").fetchall()
    seconds = {}
    t0 = time.perf_counter()
    conn.execute(
        "CREATE INDEX trgm_idx ON bench_search.tickets USING gin ((content || ' ' || coalesce(address, '')) "
        "gin_trgm_ops)"
    )
    seconds["trgm"] = time.perf_counter() - t0
    jieba = _jieba()
    for way, literal in (
        ("bigram", lambda c, a: text_search.stored_terms("postgresql", c, a)),
        ("jieba", lambda c, a: jieba_literal(jieba, c, a)),
    ):
        t0 = time.perf_counter()
        conn.execute(f"CREATE TABLE bench_search.{way} (ticket_id integer PRIMARY KEY, terms tsvector NOT NULL)")
        with conn.cursor().copy(f"COPY bench_search.{way} (ticket_id, terms) FROM STDIN") as copy:
            for id_, content, address in rows:
                copy.write_row((id_, literal(content, address)))
        conn.execute(f"CREATE INDEX {way}_idx ON bench_search.{way} USING gin (terms)")
        seconds[way] = time.perf_counter() - t0
    conn.execute("ANALYZE bench_search.tickets, bench_search.bigram, bench_search.jieba")
    conn.commit()
    return seconds


def sizes(conn) -> dict:
    size = {}
    for way, table, index in (
        ("trgm", None, "trgm_idx"),
        ("bigram", "bigram", "bigram_idx"),
        ("jieba", "jieba", "jieba_idx"),
    ):
        t = conn.execute(f"SELECT pg_total_relation_size('bench_search.{table}')").fetchone()[0] if table else 0
        i = conn.execute(f"SELECT pg_relation_size('bench_search.{index}')").fetchone()[0]
        size[way] = (t - i if table else 0, i)
    return size


def queries(conn, n: int) -> dict[str, list[str]]:
    """Kinds of query: common words, two characters and four characters taken from tickets' text."""
    rng = random.Random(11)
    texts = [r[0] for r in conn.execute("SELECT content FROM bench_search.tickets ORDER BY random() LIMIT 2000")]
    pieces2, pieces4 = [], []
    for content in texts:
        run = max(text_search.query_runs(content) or [""], key=len)
        if len(run) >= 6:
            start = rng.randrange(0, len(run) - 4)
            pieces2.append(run[start : start + 2])
            pieces4.append(run[start : start + 4])
    rng.shuffle(pieces2)
    rng.shuffle(pieces4)
    return {"common word": list(WORDS)[:n], "2 characters": pieces2[:n], "4 characters": pieces4[:n]}


STATEMENTS = {
    "like": "t.content LIKE %(like)s OR t.address LIKE %(like)s",
    "trgm": "(t.content || ' ' || coalesce(t.address, '')) LIKE %(like)s",
    "jieba": "t.id IN (SELECT ticket_id FROM bench_search.jieba WHERE terms @@ CAST(%(jieba)s AS tsquery))",
    "bigram": "t.id IN (SELECT ticket_id FROM bench_search.bigram WHERE terms @@ CAST(%(bigram)s AS tsquery))",
}


def ask(conn, way: str, params: dict) -> tuple[float, float, set]:
    where = STATEMENTS[way]
    t0 = time.perf_counter()
    conn.execute(f"SELECT count(*) FROM bench_search.tickets t WHERE {where}", params).fetchone()
    counted = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute(
        f"SELECT t.id FROM bench_search.tickets t WHERE {where} ORDER BY t.created_at DESC, t.id DESC LIMIT 25",
        params,
    ).fetchall()
    listed = time.perf_counter() - t0
    ids = {r[0] for r in conn.execute(f"SELECT t.id FROM bench_search.tickets t WHERE {where}", params)}
    return counted, listed, ids


def compare(conn, asked: dict[str, list[str]]) -> None:
    jieba = _jieba()
    print(
        f"\n{'way':<8}{'query':<15}{'count p50/p95 ms':>20}{'newest 25 p50/p95 ms':>24}{'recall':>9}{'precision':>11}"
    )
    for kind, qs in asked.items():
        if not qs:
            continue
        results = {}
        for way in ("like", "trgm", "jieba", "bigram"):
            counts, lists, recall, precision = [], [], [], []
            for q in qs:
                params = {
                    "like": f"%{q}%",
                    "jieba": jieba_query(jieba, q) or "''",
                    "bigram": text_search.tsquery_literal(text_search.query_runs(q)),
                }
                counted, listed, ids = ask(conn, way, params)
                counts.append(counted)
                lists.append(listed)
                if way == "like":
                    results[q] = ids
                truth = results[q]
                recall.append(len(ids & truth) / len(truth) if truth else 1.0)
                precision.append(len(ids & truth) / len(ids) if ids else 1.0)
            print(
                f"{way:<8}{kind:<15}{percentile(counts, 50) * 1000:>10.1f}/{percentile(counts, 95) * 1000:<9.1f}"
                f"{percentile(lists, 50) * 1000:>13.1f}/{percentile(lists, 95) * 1000:<10.1f}"
                f"{statistics.mean(recall):>9.3f}{statistics.mean(precision):>11.3f}"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a city database (a copy: a schema is added to it)")
    parser.add_argument("--sample", type=int, default=200_000, help="the newest N tickets (default 200,000)")
    parser.add_argument("--queries", type=int, default=14, help="queries of each kind (default 14)")
    args = parser.parse_args(argv)
    conninfo = args.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET jit = off")
        seconds = build(conn, args.sample)
        size = sizes(conn)
        print(f"\nOn the newest {args.sample:,} tickets:")
        for way in ("trgm", "jieba", "bigram"):
            table, index = size[way]
            print(
                f"  {way:<7} built in {seconds[way]:>6.1f} s; table {table / 2**20:>6.1f} MiB, "
                f"index {index / 2**20:>6.1f} MiB"
            )
        try:
            compare(conn, queries(conn, args.queries))
        finally:
            conn.rollback()
            conn.execute("DROP SCHEMA bench_search CASCADE")
            conn.commit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
