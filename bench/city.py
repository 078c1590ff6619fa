"""A big city on PostgreSQL for the benches: 1,000,000 tickets over twelve months, 400 units.

    .venv/bin/python bench/city.py                      # builds (or re-uses) the database hotline_bench_city
    .venv/bin/python bench/city.py --tickets 100000 --database-url postgresql://postgres@127.0.0.1/mycity
    .venv/bin/python bench/city.py --rebuild --seed 3 --as-of 2026-12-01T00:00+08:00
    .venv/bin/python bench/city.py --texts /work/shared/data/messages/hot.jsonl   # a share of real messages

From other benches: ``from city import build_city; city = build_city(url, tickets=...)``; it
returns a :class:`City` (its url, "as of" time and row counts).

The database is migrated with the project's own migrations (``flask db upgrade`` through
create_app), then filled with COPY: units on three levels (city departments, districts,
towns), categories with default lead units, users of every role (password
``bench-12345``), callers, the demo's deadline policies, and the tickets with everything
the services would have written for them (bench/citygen/sim.py): events of every step,
deadlines of every dispatch round with the deadline watch's records and events, replies,
callbacks, extension requests, supervision cases and cards. Tickets are created over the
``--months`` before ``--as-of`` (default: now); steps after it have not happened yet, so
the newest tickets are still open, and a few old ones are stuck and overdue. Rates: about
30% answered on the call, 5% returned and re-dispatched, 3% reopened, 2% extensions, 1%
merged, plus bursts of calls about one incident in one town (spikes).

The rows satisfy every CHECK constraint and trigger of the schema: plain indexes and
foreign keys of the filled tables are dropped during the load and created again after it
(which checks every row against them), CHECK constraints stay on throughout.

An existing city built with the same parameters and the same migrations is re-used (the
parameters are kept in the database's comment); ``--rebuild`` builds it again.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import psycopg  # noqa: E402
from citygen import texts as words  # noqa: E402
from citygen.sim import COLUMNS, POLICIES, SHANGHAI, Refs, Simulator, place_names  # noqa: E402

DEFAULT_DATABASE = "hotline_bench_city"
SERVER = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "bench-12345"
GENERATOR = 4  # bump when the generator's output changes: cities built before are rebuilt
RATES = {
    "answered": 0.30,
    "returned": 0.05,
    "reopen": 0.03,
    "extension": 0.02,
    "merge": 0.01,
    "stuck": 0.004,
    "texts_share": 0.25,
}
# The tables the city fills, in the order they are loaded.
REFERENCE = ("units", "categories", "users", "callers", "sla_policies")
TICKET_TABLES = tuple(COLUMNS)
FILLED = (*REFERENCE, *TICKET_TABLES, "ticket_number_counters")
CHUNK = 20_000
KB_ARTICLES = HERE.parent.parent / "shared" / "data" / "kb" / "insurance_articles.jsonl"


@dataclass
class City:
    url: str  # SQLAlchemy URL (postgresql+psycopg://...)
    as_of: datetime
    params: dict
    counts: dict = field(default_factory=dict)
    reused: bool = False
    seconds: float = 0.0

    @property
    def tickets(self) -> int:
        return self.params["tickets"]


def _urls(url: str | None) -> tuple[str, str, str]:
    """(SQLAlchemy URL, psycopg conninfo, database name)."""
    url = url or f"{SERVER}/{DEFAULT_DATABASE}"
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return plain.replace("postgresql://", "postgresql+psycopg://", 1), plain, plain.rsplit("/", 1)[1].split("?")[0]


def _revisions() -> dict[str, list[str]]:
    """Every migration of the project: revision id → the revisions it follows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(HERE.parent / "migrations"))
    graph = {}
    for rev in ScriptDirectory.from_config(config).walk_revisions():
        down = rev.down_revision
        graph[rev.revision] = sorted([down] if isinstance(down, str) else list(down or ()))
    return graph


def _upgradable(old: list[str], graph: dict[str, list[str]]) -> bool:
    """Whether a database migrated through ``old`` reaches the head by upgrading: every
    migration it lacks comes after all it has (none was slipped in below, as a merge of
    branches can do)."""
    have = set(old)
    if not have <= set(graph):
        return False
    for rev in have:
        stack = list(graph[rev])
        while stack:
            down = stack.pop()
            if down not in have:
                return False
            stack.extend(graph[down])
    return True


def _marker(conninfo: str) -> dict | None:
    try:
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
            ).fetchone()
    except psycopg.OperationalError:
        return None
    try:
        return json.loads(row[0]) if row and row[0] else None
    except ValueError:
        return None


def _ensure_database(conninfo: str, name: str) -> None:
    server = conninfo.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    from hotline import create_app
    from hotline.extensions import db

    app = create_app(
        {"HOTLINE_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": "/tmp", "SWEEP_TIMER": False}
    )
    with app.app_context():
        upgrade(directory=str(HERE.parent / "migrations"))
        db.engine.dispose()


def build_city(
    url: str | None = None,
    *,
    tickets: int = 1_000_000,
    months: int = 12,
    units: int = 400,
    seed: int = 17,
    as_of: datetime | None = None,
    texts: str | None = None,
    rebuild: bool = False,
    echo=print,
) -> City:
    """Build the city in ``url`` (default: the local database hotline_bench_city), or re-use
    the one already there when it was built with the same parameters and migrations."""
    sa_url, conninfo, name = _urls(url)
    graph = _revisions()
    params = {
        "generator": GENERATOR,
        "tickets": tickets,
        "months": months,
        "units": units,
        "seed": seed,
        "texts": texts,
        "as_of": as_of.isoformat() if as_of else None,
        "schema": sorted(graph),
    }
    found = _marker(conninfo)
    # Without an "as of", any city of the same parameters will do (a bench that does not care
    # when it stands must not rebuild the one another bench built).
    loose = {"schema": None} | ({"as_of": None} if as_of is None else {})
    same = found is not None and {**found.get("params", {}), **loose} == {**params, **loose}
    if same and as_of is None:
        params["as_of"] = found["params"]["as_of"]
    if same and found["params"]["schema"] != params["schema"] and not _upgradable(found["params"]["schema"], graph):
        echo(f"city: {name} was migrated along another chain of migrations: built again")
        same = False
    if not rebuild and same:
        if found["params"]["schema"] != params["schema"]:
            found = _upgrade(sa_url, conninfo, name, found, params, echo)
        else:
            found = _top_up(conninfo, name, found, params, echo)
        echo(f"city: re-using {name} (built {found['built_at']}, as of {found['as_of']})")
        return City(sa_url, datetime.fromisoformat(found["as_of"]), params, found.get("counts", {}), reused=True)
    started, cpu = time.perf_counter(), time.process_time()
    as_of = (as_of or datetime.now(UTC)).astimezone(UTC)
    _ensure_database(conninfo, name)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute(f'COMMENT ON DATABASE "{name}" IS NULL')
    t0 = time.perf_counter()
    _migrate(sa_url)
    echo(f"city: migrated {name} in {time.perf_counter() - t0:.1f} s")
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        dropped = _drop_checks(conn)
        rng = random.Random(seed)
        t0 = time.perf_counter()
        refs = _reference(conn, rng, units=units, tickets=tickets, as_of=as_of)
        counts = _fill(conn, refs, rng, tickets=tickets, months=months, as_of=as_of, texts=texts, echo=echo)
        loaded = time.perf_counter() - t0
        total_rows = sum(counts.values())
        echo(f"city: loaded {total_rows:,} rows in {loaded:.1f} s ({total_rows / loaded:,.0f} rows/s)")
        t0 = time.perf_counter()
        _restore_checks(conn, dropped)
        conn.commit()
        counts.update(_fill_extras(conn, random.Random(seed + 1), as_of=as_of, echo=echo))
        conn.commit()
        echo(f"city: indexes and foreign keys re-created (every row checked) in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        seconds = time.perf_counter() - started
        marker = {
            "params": params,
            "as_of": as_of.isoformat(),
            "built_at": datetime.now(UTC).isoformat(),
            "seconds": round(seconds, 1),
            "counts": counts,
        }
        _set_marker(conn, name, marker)
    echo(f"city: vacuumed and analysed in {time.perf_counter() - t0:.1f} s")
    echo(f"city: this process used {time.process_time() - cpu:.1f} s of CPU (PostgreSQL's share not included)")
    echo(
        f"city: {name} built in {seconds:.1f} s ({total_rows / seconds:,.0f} rows/s overall), "
        f"as of {as_of:%Y-%m-%d %H:%M} UTC"
    )
    return City(sa_url, as_of, params, counts, reused=False, seconds=seconds)


def _set_marker(conn, name: str, marker: dict) -> None:
    conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(marker)}'")


def _upgrade(sa_url: str, conninfo: str, name: str, found: dict, params: dict, echo) -> dict:
    """The same city under newer migrations: upgrade it in place and fill the new tables."""
    t0 = time.perf_counter()
    _migrate(sa_url)
    with psycopg.connect(conninfo) as conn:
        as_of = datetime.fromisoformat(found["as_of"])
        found["counts"].update(_fill_extras(conn, random.Random(params["seed"] + 1), as_of=as_of, echo=echo))
        conn.commit()
    found["params"] = params
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("ANALYZE")
        _set_marker(conn, name, found)
    echo(f"city: {name} upgraded to migration {max(params['schema'])} in {time.perf_counter() - t0:.1f} s")
    return found


def _top_up(conninfo: str, name: str, found: dict, params: dict, echo) -> dict:
    """The same city, built before a phase was added to the generator: fill what is missing
    (a few EXISTS queries when nothing is)."""
    with psycopg.connect(conninfo) as conn:
        as_of = datetime.fromisoformat(found["as_of"])
        added = _fill_extras(conn, random.Random(params["seed"] + 1), as_of=as_of, echo=echo)
        conn.commit()
    if added:
        found["counts"].update(added)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("ANALYZE")
            _set_marker(conn, name, found)
    return found


def _fill_extras(conn, rng: random.Random, *, as_of: datetime, echo) -> dict:
    """Rows for the tables of the reports domain, when the schema has them and they are empty:
    exemptions (about 0.5% of dispatched tickets), each ticket's hot-topic terms and its row of the text index."""
    tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    counts = {}
    if "exemptions" in tables and not conn.execute("SELECT EXISTS (SELECT 1 FROM exemptions)").fetchone()[0]:
        counts["exemptions"] = _fill_exemptions(conn, as_of)
        echo(f"city: {counts['exemptions']:,} exemptions")
    if "ticket_search" in tables and not conn.execute("SELECT EXISTS (SELECT 1 FROM ticket_search)").fetchone()[0]:
        t0 = time.perf_counter()
        counts["ticket_search"] = _fill_search(conn)
        echo(f"city: {counts['ticket_search']:,} tickets in the text index in {time.perf_counter() - t0:.1f} s")
    if "ticket_terms" in tables and not conn.execute("SELECT EXISTS (SELECT 1 FROM ticket_term_sets)").fetchone()[0]:
        t0 = time.perf_counter()
        counts.update(_fill_terms(conn, as_of))
        echo(f"city: {counts['ticket_terms']:,} ticket terms in {time.perf_counter() - t0:.1f} s")
    if "kb_articles" in tables and not conn.execute("SELECT EXISTS (SELECT 1 FROM kb_articles)").fetchone()[0]:
        t0 = time.perf_counter()
        counts["kb_articles"], source = _fill_articles(conn, rng, as_of=as_of)
        echo(f"city: {counts['kb_articles']:,} knowledge-base articles ({source}) in {time.perf_counter() - t0:.1f} s")
    return counts


def _article_lines(rng: random.Random, count: int):
    """(external id, title, body, category code) of ``count`` articles: the insurance Q&A of
    ../shared/data/kb (27,413 real articles, read at run time, never stored in the project)
    when present, topped up (or replaced) by articles written from the city's own issues."""
    written = 0
    if KB_ARTICLES.exists():
        with KB_ARTICLES.open(encoding="utf-8") as handle:
            for line in handle:
                if written == count:
                    return
                record = json.loads(line)
                title, body = str(record["title"])[:200], str(record["body"])
                if title.strip() and body.strip():
                    written += 1
                    yield f"city-kb-{written}", title, body, None
    leaves = [(code, name, issues) for _, _, children in words.CATEGORIES for code, name, _, _, issues in children]
    while written < count:
        code, name, issues = rng.choice(leaves)
        issue = rng.choice(issues)
        place = rng.choice(words.ROADS)
        written += 1
        title = f"{issue}（{name}）{written}"
        body = (
            f"市民反映{issue}的，可先通过政务服务网“{name}”栏目查询办理进度和所需材料；"
            f"涉及{place}等具体地点的，由属地镇街会同主管部门现场核查，一般在五个工作日内答复。"
            f"如对处理结果不满意，可再次拨打12345热线或在线提交诉求。"
        )
        yield f"city-kb-{written}", title, body, code


def _spread(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    span = (end - start).total_seconds()
    return sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))


def _fill_articles(conn, rng: random.Random, *, as_of: datetime, count: int = 27_413) -> tuple[int, str]:
    """The knowledge base: ``count`` published articles, each with its import version, all
    stamped with the change sequence's first value (what an import through ``kb import``
    leaves; each web host builds its index from them when it finds none). No vectors: a
    bench that needs the semantic side embeds them with ``flask kb embed``."""
    categories = dict(conn.execute("SELECT code, id FROM categories").fetchall())
    start = as_of - timedelta(days=365)  # imported and edited over the year, as a knowledge base grows
    rows = [(ext, title, body, categories.get(code)) for ext, title, body, code in _article_lines(rng, count)]
    _copy(
        conn,
        "kb_articles",
        "external_id, title, body, category_id, keywords, status, version, created_at, updated_at, "
        "published_at, change_seq",
        (
            (ext, title, body, cat, "[]", "published", 1, at, at, at, 1)
            for (ext, title, body, cat), at in zip(rows, _spread(rng, len(rows), start, as_of), strict=True)
        ),
    )
    conn.execute(
        "INSERT INTO kb_article_versions (article_id, version, action, changed, title, body, category_code, "
        'keywords, status, at) SELECT a.id, 1, \'import\', \'["title", "body", "category", "keywords", '
        "\"status\"]', a.title, a.body, c.code, '[]', a.status, a.created_at FROM kb_articles a "
        "LEFT JOIN categories c ON c.id = a.category_id"
    )
    conn.execute("INSERT INTO kb_change_sequence (id, value) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET value = 1")
    real = sum(1 for row in rows if row[3] is None)
    return len(rows), f"{real:,} from {KB_ARTICLES.name}" if real else "written from the city's issues"


def _fill_search(conn) -> int:
    """Every ticket's row of the text index (hotline.tickets.text_search), as intake and
    dispatch write it (with its units' scope lexemes): with COPY, the GIN index built after (a
    city built after migration 0016; an upgraded one is filled by the migrations themselves)."""
    from hotline.tickets.text_search import scope_lexemes, stored_terms

    conn.execute("DROP INDEX IF EXISTS ix_ticket_search_terms")
    written, after = 0, 0
    while True:
        rows = conn.execute(
            "SELECT t.id, t.content, t.address, t.lead_unit_id, "
            "ARRAY(SELECT a.unit_id FROM ticket_assist_units a WHERE a.ticket_id = t.id) "
            "FROM tickets t WHERE t.id > %s ORDER BY t.id LIMIT %s",
            (after, CHUNK),
        ).fetchall()
        if not rows:
            break
        with conn.cursor().copy("COPY ticket_search (ticket_id, terms) FROM STDIN") as copy:
            for id_, content, address, lead, assists in rows:
                copy.write_row((id_, stored_terms("postgresql", content, address, scope_lexemes(lead, assists))))
        written, after = written + len(rows), rows[-1][0]
    conn.execute("CREATE INDEX ix_ticket_search_terms ON ticket_search USING gin (terms)")
    return written


def _fill_exemptions(conn, as_of: datetime) -> int:
    """One in 200 dispatched tickets: asked a day after dispatch by the unit's staff, decided a
    day later by a supervisor (7 in 10 approved), or still pending when "as of" came first."""
    notes = words.EXEMPTION_NOTES
    return conn.execute(
        """
        INSERT INTO exemptions (ticket_id, unit_id, reason_id, note, status, requested_by_id, requested_at,
                                decided_by_id, decided_at, decision_note)
        SELECT t.id, t.lead_unit_id, r.ids[1 + t.id %% cardinality(r.ids)], (%(notes)s::text[])[1 + t.id %% 4],
               CASE WHEN t.dispatched_at + interval '2 days' >= %(as_of)s THEN 'pending'
                    WHEN t.id %% 10 < 7 THEN 'approved' ELSE 'refused' END,
               s.id, t.dispatched_at + interval '1 day',
               CASE WHEN t.dispatched_at + interval '2 days' < %(as_of)s THEN sup.id END,
               CASE WHEN t.dispatched_at + interval '2 days' < %(as_of)s THEN t.dispatched_at + interval '2 days' END,
               CASE WHEN t.dispatched_at + interval '2 days' < %(as_of)s THEN '经审核' END
        FROM tickets t
        JOIN users s ON s.unit_id = t.lead_unit_id AND s.role = 'unit_staff'
        CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM exemption_reasons WHERE is_active) r
        CROSS JOIN (SELECT min(id) AS id FROM users WHERE role = 'supervisor') sup
        WHERE t.lead_unit_id IS NOT NULL AND t.id %% 200 = 7 AND t.dispatched_at + interval '1 day' < %(as_of)s
        """,
        {"notes": notes, "as_of": as_of},
    ).rowcount


def _analyse(rows):
    """Terms of a batch of tickets (in a worker process): (ticket_id, terms, created_at, ...)."""
    from hotline.reports.topics_lexicon import analyse

    return [(row, analyse(row[1] or "")) for row in rows]


def fill_terms(url: str | None = None, *, since: datetime | None = None, echo=print) -> dict:
    """Fill the hot-topic terms of an existing city's tickets created since ``since`` (all by
    default), when its terms tables are empty; for a city whose build was cut short."""
    _, conninfo, _ = _urls(url)
    with psycopg.connect(conninfo) as conn:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM ticket_term_sets)").fetchone()[0]:
            echo("city: terms already filled")
            return {}
        t0 = time.perf_counter()
        counts = _fill_terms(conn, None, since=since)
        conn.commit()
        echo(f"city: {counts['ticket_terms']:,} ticket terms in {time.perf_counter() - t0:.1f} s")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("ANALYZE ticket_terms, ticket_term_sets")
    return counts


def _fill_terms(conn, as_of: datetime | None, *, since: datetime | None = None) -> dict:
    """Every ticket's terms with the topics part's own analyser (hotline.reports.topics_lexicon),
    in two processes, written with COPY as its job would have written them."""
    from multiprocessing import get_context

    from hotline.reports.topics_lexicon import ANALYZER_VERSION

    dropped = _drop_checks(conn, ("ticket_terms", "ticket_term_sets"))
    cur = conn.cursor(name="tickets_for_terms")
    cur.itersize = 5000
    cur.execute(
        "SELECT id, content, created_at, category_id, area_unit_id, caller_id FROM tickets "
        "WHERE created_at >= %s ORDER BY id",
        (since or datetime(1970, 1, 1, tzinfo=UTC),),
    )
    sets = terms = 0

    def batches():
        while rows := cur.fetchmany(5000):
            yield rows

    # Analysing is CPU work: two processes; the main one writes. Read everything first (one
    # cursor cannot be read while COPY runs on the same connection).
    rows_all = list(batches())
    cur.close()
    with get_context("fork").Pool(2) as pool:
        for analysed in pool.imap(_analyse, rows_all):
            with conn.cursor().copy(
                "COPY ticket_terms (ticket_id, term, weight, created_at, category_id, area_unit_id, caller_id) "
                "FROM STDIN"
            ) as copy:
                for (tid, _, created, category, area, caller), found in analysed:
                    for term, weight in found:
                        copy.write_row((tid, term, weight, created, category, area, caller))
                        terms += 1
            with conn.cursor().copy(
                "COPY ticket_term_sets (ticket_id, version, term_count, analysed_at) FROM STDIN"
            ) as copy:
                for (tid, _, created, *_), found in analysed:
                    copy.write_row((tid, ANALYZER_VERSION, len(found), created + timedelta(seconds=2)))
                    sets += 1
    _restore_checks(conn, dropped)
    return {"ticket_terms": terms, "ticket_term_sets": sets}


# --- load: indexes and foreign keys off, then on again ----------------------------------


def _drop_checks(conn, tables=FILLED) -> dict:
    """Drop the filled tables' foreign keys and plain indexes (not those behind a primary key
    or unique constraint); returns what is needed to create them again."""
    fks = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
        (list(tables),),
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        (list(tables),),
    ).fetchall()
    for table, name, _ in fks:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    return {"fks": fks, "indexes": indexes, "tables": tables}


def _restore_checks(conn, dropped: dict) -> None:
    for _, definition in dropped["indexes"]:
        conn.execute(definition)
    for table, name, definition in dropped["fks"]:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    with_id = {
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id'"
        )
    }
    for table in (t for t in dropped["tables"] if t in with_id):
        seq = conn.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()
        if seq and seq[0]:
            conn.execute(f"SELECT setval('{seq[0]}', COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")


def _copy(conn, table: str, columns: str, rows) -> int:
    n = 0
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


# --- reference data -----------------------------------------------------------------------


def _split_units(units: int) -> tuple[int, int, int]:
    departments = min(len(words.DEPARTMENTS), max(3, round(units * 0.12)))
    districts = min(len(words.DISTRICT_NAMES), max(2, round(units * 0.03)))
    towns = max(districts, units - 1 - departments - districts)
    return departments, districts, towns


def _reference(conn, rng: random.Random, *, units: int, tickets: int, as_of: datetime) -> Refs:
    from werkzeug.security import generate_password_hash

    made = as_of - timedelta(days=800)
    n_dept, n_dist, n_town = _split_units(units)
    rows = [(1, "CITY", "示范市人民政府", "city", None)]
    departments = [(i + 2, code) for i, (code, _) in enumerate(words.DEPARTMENTS[:n_dept])]
    rows += [(uid, code, words.DEPARTMENTS[i][1], "city", 1) for i, (uid, code) in enumerate(departments)]
    districts = [(len(rows) + i + 1, f"D{i + 1:02d}") for i in range(n_dist)]
    rows += [
        (uid, code, words.DISTRICT_NAMES[i] + "人民政府", "district", 1) for i, (uid, code) in enumerate(districts)
    ]
    towns, used = [], set()
    syllables = words.TOWN_SYLLABLES
    for i in range(n_town):
        d = i % n_dist
        while True:
            stem = rng.choice(syllables) + rng.choice(syllables)
            if (d, stem) not in used:
                used.add((d, stem))
                break
        suffix = "街道办事处" if rng.random() < 0.6 else "镇人民政府"
        uid = len(rows) + 1
        towns.append((uid, f"{districts[d][1]}-{i // n_dist + 1:02d}", d))
        rows.append((uid, towns[-1][1], words.DISTRICT_NAMES[d] + stem + suffix, "town", districts[d][0]))
    _copy(
        conn,
        "units",
        "id, code, name, level, parent_id, contact_phone, is_active, created_at, updated_at",
        ((*r, f"0757-8{r[0]:07d}", True, made, made) for r in rows),
    )
    unit_code = {r[0]: r[1] for r in rows}
    unit_name = {r[0]: r[2] for r in rows}

    dept_index = {code: i for i, (_, code) in enumerate(departments)}
    cat_rows, categories = [], []
    for order, (code, name, leaves) in enumerate(words.CATEGORIES):
        parent = len(cat_rows) + 1
        cat_rows.append((parent, code, name, None, None, order * 10))
        for k, (leaf, leaf_name, dept, weight, _) in enumerate(leaves):
            index = dept_index.get(dept, len(categories) % n_dept)
            cid = len(cat_rows) + 1
            cat_rows.append((cid, leaf, leaf_name, parent, departments[index][0], k))
            categories.append((cid, leaf, index, float(weight)))
    _copy(
        conn,
        "categories",
        "id, code, name, parent_id, default_lead_unit_id, sort_order, is_active, created_at, updated_at",
        ((*r, True, made, made) for r in cat_rows),
    )

    password = generate_password_hash(PASSWORD)
    users = [("admin", "系统管理员", "admin", None)]
    users += [(f"op{i:03d}", f"话务员{i:03d}", "operator", None) for i in range(1, 61)]
    users += [(f"disp{i:02d}", f"派单员{i:02d}", "dispatcher", None) for i in range(1, 13)]
    users += [(f"sup{i}", f"督办员{i}", "supervisor", None) for i in range(1, 6)]
    users += [("kb1", "知识库编辑", "kb_editor", None)]
    users += [(r[1].lower(), f"{r[2][:10]}联络员", "unit_staff", r[0]) for r in rows]
    _copy(
        conn,
        "users",
        "id, username, display_name, password_hash, role, unit_id, is_active, session_version, "
        "failed_login_count, created_at, updated_at",
        ((i, u[0], u[1], password, u[2], u[3], True, 1, 0, made, made) for i, u in enumerate(users, 1)),
    )
    ids_by_role: dict[str, list[int]] = {}
    staff = {}
    for i, u in enumerate(users, 1):
        ids_by_role.setdefault(u[2], []).append(i)
        if u[3] is not None:
            staff[u[3]] = i

    callers = max(1, int(tickets * 0.45))
    _copy(
        conn,
        "callers",
        "id, phone, created_at, updated_at",
        ((i, f"139{i:08d}", made, made) for i in range(1, callers + 1)),
    )
    _copy(
        conn,
        "sla_policies",
        "id, name, request_type, urgency, accept_hours, reply_hours, warn_ratio, red_ratio, "
        "clock_mode, working_hours, is_active, version, created_at, updated_at",
        (
            (
                p["id"],
                p["name"],
                p["request_type"],
                p["urgency"],
                p["accept_hours"],
                p["reply_hours"],
                0.8,
                2.0,
                p["clock_mode"],
                "08:30-12:00,14:00-18:00",
                True,
                1,
                made,
                made,
            )
            for p in POLICIES
        ),
    )
    return Refs(
        departments=departments,
        districts=districts,
        towns=towns,
        categories=categories,
        staff=staff,
        operators=ids_by_role["operator"],
        dispatchers=ids_by_role["dispatcher"],
        supervisors=ids_by_role["supervisor"],
        callers=callers,
        unit_code=unit_code,
        unit_name=unit_name,
    )


# --- tickets ------------------------------------------------------------------------------

# Calls by local hour of the day (a hotline's day: quiet at night, peaks mid-morning and afternoon).
HOURS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.5, 4, 9, 12, 12, 10, 7, 8, 10, 11, 10, 8, 6, 5, 4, 3, 2, 1.5)


def _creation_times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    """``n`` times in [start, end): by hour of day, fewer at weekends, slowly growing."""
    slots, cum, total = [], [], 0.0
    t = start.replace(minute=0, second=0, microsecond=0)
    span = (end - start).total_seconds()
    while t < end:
        local = t.astimezone(SHANGHAI)
        weight = HOURS[local.hour] * (0.7 if local.weekday() >= 5 else 1.0)
        weight *= 1 + 0.2 * (t - start).total_seconds() / span
        slots.append(t)
        total += weight
        cum.append(total)
        t += timedelta(hours=1)
    times = []
    for _ in range(n):
        i = bisect.bisect_left(cum, rng.random() * total)
        moment = max(start, slots[i] + timedelta(seconds=rng.random() * 3600))
        times.append(min(moment, end - timedelta(seconds=1)))
    return times


def _incidents(rng: random.Random, refs: Refs, tickets: int, months: int, start: datetime, end: datetime):
    """Bursts of calls about one incident in one town: (time, (category index, town index, text))."""
    code_index = {c[1]: i for i, c in enumerate(refs.categories)}
    per_month = tickets / months
    out = []
    for _ in range(2 * months):
        category, text, days, share = rng.choice(words.INCIDENTS)
        if category not in code_index:
            continue
        town = rng.randrange(len(refs.towns))
        place = "".join(place_names(rng))
        fixed = text.replace("{place}", place)
        first = start + (end - start) * rng.random()
        for _ in range(int(per_month * share)):
            at = first + timedelta(days=days * rng.random() ** 2)
            if at < end:
                out.append((at, (code_index[category], town, fixed)))
    return out


def _load_texts(path: str | None) -> list[str]:
    if not path:
        return []
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            message = json.loads(line)
            body = (message.get("body") or "").strip().replace("\x00", "")
            title = (message.get("title") or "").strip()
            if body or title:
                texts.append(f"{title}：{body}"[:2000] if title else body[:2000])
    return texts


def _fill(conn, refs: Refs, rng: random.Random, *, tickets: int, months: int, as_of: datetime, texts, echo) -> dict:
    start = as_of - timedelta(days=months * 365.25 / 12)
    bursts = _incidents(rng, refs, tickets, months, start, as_of)
    plain = _creation_times(rng, max(0, tickets - len(bursts)), start, as_of)
    plan = sorted([(t, 0, None) for t in plain] + [(t, 1, inc) for t, inc in bursts], key=lambda p: (p[0], p[1]))
    echo(f"city: {len(plan):,} tickets from {start:%Y-%m-%d} to {as_of:%Y-%m-%d %H:%M} UTC ({len(bursts):,} in bursts)")
    sim = Simulator(refs, as_of, rng, RATES, _load_texts(texts))
    counts = {table: 0 for table in TICKET_TABLES}
    t0 = time.perf_counter()
    sim_seconds = 0.0
    for offset in range(0, len(plan), CHUNK):
        s0 = time.perf_counter()
        for created, _, incident in plan[offset : offset + CHUNK]:
            sim.play(created, incident)
        sim_seconds += time.perf_counter() - s0
        for table in TICKET_TABLES:
            counts[table] += _copy(conn, table, COLUMNS[table], sim.rows[table])
            sim.rows[table].clear()
        done = min(offset + CHUNK, len(plan))
        if done % 200_000 < CHUNK or done == len(plan):
            rate = sum(counts.values()) / (time.perf_counter() - t0)
            echo(f"city: {done:,} tickets, {sum(counts.values()):,} rows ({rate:,.0f} rows/s)")
    counts["ticket_number_counters"] = _copy(
        conn, "ticket_number_counters", "day, last_value", sorted(sim.day_counters.items())
    )
    for table in REFERENCE:
        counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    echo(f"city: simulating the tickets took {sim_seconds:.1f} s of the load")
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help=f"PostgreSQL database (default: local {DEFAULT_DATABASE}); EMPTIED")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--as-of", help="the city's now, ISO 8601 with a zone (default: now)")
    parser.add_argument("--texts", help="a JSON-lines file of messages (title, body) used for a share of tickets")
    parser.add_argument("--rebuild", action="store_true", help="build again even if the same city exists")
    args = parser.parse_args(argv)
    as_of = datetime.fromisoformat(args.as_of) if args.as_of else None
    if as_of is not None and as_of.tzinfo is None:
        parser.error("--as-of needs a zone, e.g. 2026-12-01T00:00+08:00")
    if args.units < 10:
        parser.error("--units must be at least 10")
    city = build_city(
        args.database_url,
        tickets=args.tickets,
        months=args.months,
        units=args.units,
        seed=args.seed,
        as_of=as_of,
        texts=args.texts,
        rebuild=args.rebuild,
    )
    width = max(len(t) for t in city.counts)
    for table, n in sorted(city.counts.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<{width}} {n:>12,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
