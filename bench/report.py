"""Reports at a big city's scale, each beside the floor measured in the same run (PostgreSQL).

    .venv/bin/python bench/report.py                 # on bench/city.py's city (built first if needed)
    .venv/bin/python bench/report.py --month 2026-11 --runs 3 --requests 30
    .venv/bin/python bench/report.py --tickets 100000 --database-url postgresql://postgres@127.0.0.1/small

The city: bench/city.py's (1,000,000 tickets over twelve months, 400 units by default),
re-used when it exists with the same parameters. Every measure runs in-process with the
clock frozen at the city's "as of" time, on a month that is over (default: the last whole
month before it).

The floor: one plain ``SELECT lead_unit_id, count(*) FROM tickets WHERE created_at in the
month GROUP BY 1``, the least any per-unit figure of the month costs here; each measure is
printed in milliseconds and as a multiple of the floor (median of ``--runs``):

- the monthly bulletin: hotline.reports.monthly.compute, and its rendering as json, xlsx
  and html (the CLI's renderers) timed apart; each format whole = compute + its rendering.
  Target: within 10x the floor.
- the ranking: hotline.reports.figures.unit_figures + scores.score_units;
  centre_figures beside it;
- each of these three twice: "stored", reading the closed months' rollups
  (hotline.reports.rollups, built first for the month and the eleven before it, as the
  periodic job would, with their build time printed), and "live" (REPORT_ROLLUPS off);
- the hot topics of the month (hotline.reports.topics.hot_topics) and current spikes;
- the supervisor's dashboard (page and API) through the Flask test client, as a supervisor
  and as the staff of the busiest unit: p50 and p95 over ``--requests`` requests, its cache
  off (DASHBOARD_CACHE_SECONDS=0: every request computes all), in Redis (``--redis-url``)
  and in the process (300 s, the default: the month's rates computed once, in the
  background, before the requests are timed). Target: p95 under 200 ms.

Whatever of these is not in the code yet (its branch not merged) is listed as missing.
For every measure the slowest SQL statements are printed; ``--explain`` runs EXPLAIN
(ANALYZE, BUFFERS) on the slowest statement of each measure that misses its target;
``--try-indexes`` measures everything again with the candidate indexes of TRY_INDEXES
(created in the city's database for the run, dropped at the end).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from city import PASSWORD, build_city  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
BULLETIN_TARGET = 10.0  # x the floor
DASHBOARD_TARGET_MS = 200.0  # p95
FLOOR_SQL = (
    "SELECT lead_unit_id, count(*) FROM tickets WHERE created_at >= :start AND created_at < :end GROUP BY lead_unit_id"
)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def last_whole_month(as_of: datetime) -> str:
    local = as_of.astimezone(ZONE)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=ZONE)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def find(dotted: str):
    """``module:attr`` if the code has it, else None."""
    module, _, attr = dotted.partition(":")
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(found, attr, None) if attr else found


class Statements:
    """Every SQL statement's time, per measure (SQLAlchemy cursor events)."""

    def __init__(self, engine):
        self.current: list | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        if self.current is not None:
            self.current.append((time.perf_counter() - started, statement, parameters))

    @contextmanager
    def collect(self):
        self.current = collected = []
        try:
            yield collected
        finally:
            self.current = None


class Bench:
    def __init__(self, app, as_of: datetime, month: str, runs: int, explain: bool):
        from hotline.extensions import db

        self.app, self.as_of, self.month, self.runs, self.explain, self.db = app, as_of, month, runs, explain, db
        self.start, self.end = month_bounds(month)
        self.floor_ms = None
        self.results: list[tuple] = []
        self.missing: list[str] = []
        with app.app_context():
            self.statements = Statements(db.engine)

    def floor(self) -> float:
        def run():
            self.db.session.execute(text(FLOOR_SQL), {"start": self.start, "end": self.end}).all()

        with self.app.app_context():
            run()  # warm
            times = [self._time(run) for _ in range(max(5, self.runs))]
            self.db.session.rollback()
        self.floor_ms = statistics.median(times) * 1000
        print(f"floor: {self.floor_ms:.1f} ms (median of {len(times)}: {', '.join(f'{t * 1000:.1f}' for t in times)})")
        return self.floor_ms

    @staticmethod
    def _time(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    only: tuple[str, ...] = ()

    def wanted(self, name: str) -> bool:
        return not self.only or any(part in name for part in self.only)

    def measure(self, name: str, fn, *, target: float | None = None, needs=(), setup=None) -> None:
        """Time ``fn`` (in an app context) ``runs`` times; ``target`` is a multiple of the floor."""
        if not self.wanted(name):
            return
        absent = [n for n in needs if find(n) is None]
        if absent:
            self.missing.append(f"{name}: missing {', '.join(absent)}")
            print(f"{name:<34} MISSING ({', '.join(absent)})")
            return
        times, slowest, sql = [], [], []
        for _ in range(self.runs):
            with self.app.app_context():
                with self.statements.collect() as statements:
                    try:
                        if setup is not None:
                            setup()
                            statements.clear()
                        times.append(self._time(fn))
                    except Exception as exc:  # a part not wired yet, a failure: say so, go on
                        self.missing.append(f"{name}: failed: {type(exc).__name__}: {exc}"[:300])
                        print(f"{name:<34} FAILED {type(exc).__name__}: {str(exc)[:200]}")
                        self.db.session.rollback()
                        return
                self.db.session.rollback()
            slowest = sorted(statements, key=lambda s: -s[0])
            sql.append(sum(s[0] for s in statements))
        ms = statistics.median(times) * 1000
        multiple = ms / self.floor_ms
        verdict = ""
        if target is not None:
            verdict = "  ok" if multiple <= target else f"  MISSED (target {target:g}x)"
        runs = ", ".join(f"{t * 1000:.0f}" for t in times)
        print(
            f"{name:<34} {ms:>9.1f} ms {multiple:>7.1f}x floor  [{runs}] {len(slowest)} statements, "
            f"{statistics.median(sql) * 1000:.0f} ms in SQL{verdict}"
        )
        self.results.append((name, ms, multiple, verdict.strip()))
        for seconds, statement, _ in slowest[:3]:
            print(f"{'':<6}{seconds * 1000:>8.1f} ms  {' '.join(statement.split())[:150]}")
        if self.explain and "MISSED" in verdict and slowest:
            self.explain_statement(slowest[0][1], slowest[0][2])

    def explain_statement(self, statement: str, parameters) -> None:
        with self.app.app_context():
            raw = self.db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("      EXPLAIN ANALYZE of the slowest statement:")
                for (line,) in cur.fetchall():
                    print(f"        {line}")
                raw.rollback()
            finally:
                raw.close()

    def dashboard(self, who: str, username: str, requests: int, *, page: bool = True) -> None:
        """p50/p95 of the dashboard page (unless ``page`` is False) and its API for one user."""
        client = self.app.test_client()
        page_ok = client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        api = self.app.test_client()
        r = api.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.get_json()['token']}"} if r.status_code == 200 else None
        targets = [("page /dashboard", client, "/dashboard", None, page_ok)] if page else []
        targets.append(
            ("api /api/v1/reports/dashboard", api, "/api/v1/reports/dashboard", headers, headers is not None)
        )
        for label, c, path, hdrs, signed_in in targets:
            name = f"dashboard {who} {label}"
            if not self.wanted(name):
                continue
            if not signed_in:
                self.missing.append(f"{name}: could not sign in as {username}")
                print(f"{name:<34} FAILED to sign in as {username}")
                continue
            first = c.get(path, headers=hdrs)
            if first.status_code != 200:
                self.missing.append(f"{name}: HTTP {first.status_code}")
                print(f"{name:<62} MISSING/FAILED: HTTP {first.status_code}")
                continue
            for thread in threading.enumerate():  # the cache's first fill: measure the steady state
                if thread.name.startswith("dashboard-"):
                    thread.join()
            times = []
            with self.statements.collect() as statements:
                for _ in range(requests):
                    times.append(self._time(lambda c=c, path=path, hdrs=hdrs: c.get(path, headers=hdrs)))
            p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
            verdict = "ok" if p95 < DASHBOARD_TARGET_MS else f"MISSED (target p95 < {DASHBOARD_TARGET_MS:g} ms)"
            print(
                f"{name:<62} p50 {p50:>7.1f} ms  p95 {p95:>7.1f} ms  ({p50 / self.floor_ms:.1f}x / "
                f"{p95 / self.floor_ms:.1f}x floor)  {verdict}"
            )
            self.results.append((name, p95, p95 / self.floor_ms, verdict))
            sql_ms = sum(st[0] for st in statements) / requests * 1000
            print(f"{'':<6}{len(statements) / requests:.0f} statements, {sql_ms:.1f} ms in SQL per request")
            per_request = {}
            for seconds, statement, parameters in statements:
                key = " ".join(statement.split())
                total, n, params = per_request.get(key, (0.0, 0, parameters))
                per_request[key] = (total + seconds, n + 1, params)
            ranked = sorted(per_request.items(), key=lambda kv: -kv[1][0])
            for key, (total, n, _) in ranked[:3]:
                print(f"{'':<6}{total / requests * 1000:>8.1f} ms/request ({n // requests}x)  {key[:140]}")
            if self.explain and verdict.startswith("MISSED") and ranked:
                key, (_, _, params) = ranked[0]
                self.explain_statement(key, params)


# Indexes the reports' queries might use (--try-indexes creates them, measures again and
# drops them): each period filter of hotline/reports/figures.py as a range on an index.
TRY_INDEXES = {
    "bench_try_deadlines_kind_started": "CREATE INDEX bench_try_deadlines_kind_started ON deadlines (kind, started_at)",
    "bench_try_deadlines_kind_settled": (
        "CREATE INDEX bench_try_deadlines_kind_settled ON deadlines (kind, "
        "(CASE WHEN stop_reason = 'met' AND stopped_at <= due_at THEN stopped_at ELSE due_at END))"
    ),
    "bench_try_deadlines_kind_stop": (
        "CREATE INDEX bench_try_deadlines_kind_stop ON deadlines (kind, stop_reason, stopped_at)"
    ),
    "bench_try_callbacks_created": "CREATE INDEX bench_try_callbacks_created ON callbacks (created_at)",
    "bench_try_cards_recorded": "CREATE INDEX bench_try_cards_recorded ON cards (recorded_at)",
    "bench_try_extension_requests_created": (
        "CREATE INDEX bench_try_extension_requests_created ON extension_requests (created_at)"
    ),
}


def try_indexes(app, create: bool) -> None:
    from hotline.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for name, sql in TRY_INDEXES.items():
                cur.execute(f"DROP INDEX IF EXISTS {name}")
                if create:
                    t0 = time.perf_counter()
                    cur.execute(sql)
                    print(f"  created {name} in {time.perf_counter() - t0:.1f} s")
            if create:
                cur.execute("ANALYZE deadlines, callbacks, cards, extension_requests")
            raw.commit()
        finally:
            raw.close()
        db.engine.dispose()


def _period(app, month: str):
    from hotline.reports import periods

    return periods.month_period(month, app.config.get("TIMEZONE", "Asia/Shanghai"))


def store_topics_snapshot(app, month: str, as_of: datetime) -> None:
    """A closed month's hot topics are read from their snapshot (topics_snapshots, written
    by the hourly job): store it first, as that job would have, so the bulletin and the hot
    topics measure what a supervisor gets."""
    store = find("hotline.reports.topics_snapshots:store")
    if store is None:
        return
    with app.app_context():
        from hotline.extensions import db

        period = _period(app, month)
        if period.end > as_of:
            return  # a month not over: computed live
        t0 = time.perf_counter()
        stored = store(period, now=as_of)
        db.session.commit()
        state = f"stored in {time.perf_counter() - t0:.1f} s" if stored else "already current"
        print(f"hot topics snapshot of {month}: {state}")


def run_all(bench: Bench, app, month: str, as_of: datetime, requests: int, redis_url: str | None = None) -> None:
    monthly_needs = ("hotline.reports.monthly:compute", "hotline.reports.figures:unit_figures")
    computed = {}
    compute_ms: dict = {}

    def compute():
        from hotline.reports import monthly

        computed["doc"] = monthly.compute(month, now=as_of)

    def render_only(fmt):
        return lambda: find("hotline.reports.cli:render")(computed["doc"], fmt)

    # Each figure twice: read from the closed months' rollups (the product as shipped, once
    # the periodic job has stored them) and computed live (REPORT_ROLLUPS off: the code before
    # rollups), in the same run. The whole bulletin in a format = its computation + its
    # rendering, each measured apart (computing it once per format would only repeat the SQL).
    for mode in ("stored", "live"):
        app.config["REPORT_ROLLUPS"] = mode == "stored"
        name = f"bulletin compute, {mode}"
        bench.measure(name, compute, target=BULLETIN_TARGET, needs=monthly_needs)
        compute_ms[mode] = bench.results[-1][1] if bench.results and bench.results[-1][0] == name else None
    app.config["REPORT_ROLLUPS"] = True
    for fmt in ("json", "xlsx", "html"):
        bench.measure(
            f"bulletin render {fmt} (no SQL)",
            render_only(fmt),
            needs=(*monthly_needs, "hotline.reports.cli:render"),
            setup=lambda: computed.get("doc") or compute(),
        )
        if bench.results[-1][0] != f"bulletin render {fmt} (no SQL)":
            continue
        for mode, ms in compute_ms.items():
            if ms is None:
                continue
            whole = ms + bench.results[-1][1]
            multiple = whole / bench.floor_ms
            verdict = "ok" if multiple <= BULLETIN_TARGET else f"MISSED (target {BULLETIN_TARGET:g}x)"
            label = f"bulletin {fmt} whole, {mode}"
            print(f"{label:<34} {whole:>9.1f} ms {multiple:>7.1f}x floor  {verdict}")
            bench.results.append((f"{label} (compute + render)", whole, multiple, verdict))

    def ranking():
        from hotline.reports import figures, scores

        scores.score_units(figures.unit_figures(_period(app, month), now=as_of), scores.active_scheme(as_of))

    def centre():
        from hotline.reports import figures

        figures.centre_figures(_period(app, month), now=as_of)

    for mode in ("stored", "live"):
        app.config["REPORT_ROLLUPS"] = mode == "stored"
        bench.measure(
            f"ranking (unit_figures + scores), {mode}",
            ranking,
            target=BULLETIN_TARGET,
            needs=("hotline.reports.figures:unit_figures", "hotline.reports.scores:score_units"),
        )
        bench.measure(f"centre_figures, {mode}", centre, needs=("hotline.reports.figures:centre_figures",))
    app.config["REPORT_ROLLUPS"] = True

    def hot_topics():
        from hotline.reports import topics

        topics.hot_topics(_period(app, month), now=as_of, limit=10)

    bench.measure("hot topics of the month", hot_topics, needs=("hotline.reports.topics:hot_topics",))

    def spikes():
        from hotline.reports import topics

        topics.current_spikes(as_of)

    bench.measure("current spikes", spikes, needs=("hotline.reports.topics:current_spikes",))

    if find("hotline.reports.dashboard") is None:
        bench.missing.append("dashboard: missing hotline.reports.dashboard")
        print("dashboard                          MISSING (hotline.reports.dashboard)")
        return
    with app.app_context():
        start, end = month_bounds(month)
        busiest = bench.db.session.execute(
            text(
                "SELECT u.code FROM tickets t JOIN units u ON u.id = t.lead_unit_id "
                "WHERE t.created_at >= :start AND t.created_at < :end GROUP BY u.code ORDER BY count(*) DESC LIMIT 1"
            ),
            {"start": start, "end": end},
        ).scalar()
        bench.db.session.rollback()
    caches = [("cache off", 0, None), ("cache 300s in process", 300, None)]
    if redis_url:
        caches.insert(1, ("cache 300s in Redis", 300, redis_url))
    for label, cache, url in caches:
        # Off: every request computes everything (the worst case); on (300 s, the product's
        # default): the month's rates from the cache after the first request, kept in Redis
        # when it is configured (shared by every process), else in the process.
        app.config["DASHBOARD_CACHE_SECONDS"] = cache
        app.config["REDIS_URL"] = url
        app.extensions.pop("hotline.redis", None)
        app.extensions.pop("hotline.dashboard_cache", None)
        if url:
            import redis

            client = redis.Redis.from_url(url)
            for key in client.scan_iter("hotline:dashboard:*"):
                client.delete(key)
            client.close()
        bench.dashboard(f"supervisor, {label},", "sup1", requests)
        if busiest:
            bench.dashboard(f"unit {busiest}, {label},", busiest.lower(), requests)
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    app.config["REDIS_URL"] = None


def store_rollups(app, month: str, as_of: datetime) -> None:
    """The closed months' stored figures (rollups) the bulletin reads: the month and the
    eleven before it, built as the periodic job builds them (only those missing or stale)."""
    refresh = find("hotline.reports.rollups:refresh")
    if refresh is None:
        return
    from hotline.reports import monthly

    with app.app_context():
        months = [monthly.shift_month(month, -back) for back in range(12)]
        t0 = time.perf_counter()
        built = refresh(as_of, months=months)
        took = time.perf_counter() - t0
    if built:
        print(f"rollups of {len(built)} months stored in {took:.1f} s ({took / len(built):.1f} s a month)")
    else:
        print("rollups: every month already current")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="the city's database (default: bench/city.py's hotline_bench_city)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--month", help="YYYY-MM (default: the last whole month before the city's as-of)")
    parser.add_argument("--as-of", help="use the database as it is (no build), with this as the city's now (ISO 8601)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure (the median is printed)")
    parser.add_argument("--requests", type=int, default=30, help="dashboard requests per user and endpoint")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statement of a miss")
    parser.add_argument(
        "--redis-url", help="also measure the dashboard with its cache in this Redis (a database it may write)"
    )
    parser.add_argument("--only", help="comma-separated parts of the names of the measures to run (default: all)")
    parser.add_argument(
        "--pg-options",
        help="PostgreSQL settings for the app's connections, e.g. \"-c jit=off\" (default: the server's)",
    )
    parser.add_argument(
        "--try-indexes", action="store_true", help="measure again with candidate indexes (created, then dropped)"
    )
    args = parser.parse_args(argv)

    if args.as_of:  # a database as it is (a city whose build was cut short, or any other)
        from city import _urls

        as_of = datetime.fromisoformat(args.as_of).astimezone(UTC)
        url = _urls(args.database_url)[0]
        city_label = "the database as it is"
    else:
        city = build_city(args.database_url, tickets=args.tickets, months=args.months, units=args.units, seed=args.seed)
        as_of, url = city.as_of, city.url
        city_label = f"a city of {city.tickets:,} tickets, {city.params['units']} units"
    month = args.month or last_whole_month(as_of)
    if args.pg_options:
        from urllib.parse import quote

        url += ("&" if "?" in url else "?") + "options=" + quote(args.pg_options)
    Bench.only = tuple(p.strip() for p in (args.only or "").split(",") if p.strip())

    from hotline import create_app

    app = create_app(
        {
            "HOTLINE_ENV": "testing",
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "DATA_DIR": "/tmp/hotline-bench-report",
            "SWEEP_TIMER": False,
            "CLOCK": lambda: as_of,
            "DASHBOARD_CACHE_SECONDS": 0,
            "WTF_CSRF_ENABLED": False,  # the test client signs in with a plain form post
        }
    )
    Path("/tmp/hotline-bench-report").mkdir(exist_ok=True)
    with app.app_context():
        from hotline.extensions import db

        received = db.session.execute(
            text("SELECT count(*) FROM tickets WHERE created_at >= :start AND created_at < :end"),
            dict(zip(("start", "end"), month_bounds(month), strict=True)),
        ).scalar()
        db.session.rollback()
    print(
        f"\nReports on {city_label}{' with ' + args.pg_options if args.pg_options else ''} "
        f"(as of {as_of.astimezone(ZONE):%Y-%m-%d %H:%M} Asia/Shanghai); month {month}: {received:,} tickets; "
        f"median of {args.runs} runs\n"
    )
    try_indexes(app, create=False)  # a run stopped halfway may have left them
    store_topics_snapshot(app, month, as_of)
    store_rollups(app, month, as_of)
    bench = Bench(app, as_of, month, args.runs, args.explain)
    bench.floor()
    run_all(bench, app, month, as_of, args.requests, args.redis_url)
    passes = [("as the code stands", bench)]
    if args.try_indexes:
        print("\nThe same with candidate indexes (--try-indexes; dropped afterwards):")
        try_indexes(app, create=True)
        try:
            again = Bench(app, as_of, month, args.runs, args.explain)
            again.floor()
            run_all(again, app, month, as_of, args.requests, args.redis_url)
            passes.append(("with the candidate indexes", again))
        finally:
            try_indexes(app, create=False)
    for label, done in passes:
        print(f"\nSummary, {label} (ms; multiple of the floor):")
        print(f"  floor{'':<57} {done.floor_ms:>9.1f}")
        for name, ms, multiple, verdict in done.results:
            print(f"  {name:<62} {ms:>9.1f} {multiple:>7.1f}x  {verdict}")
    if bench.missing:
        print("\nNot measured:")
        for line in bench.missing:
            print(f"  - {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
