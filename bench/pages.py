"""Server-side time of every main page and list, p50 and p95, beside the same app's /livez.

    .venv/bin/python bench/pages.py                          # the embedded demo (SQLite, made here)
    .venv/bin/python bench/pages.py --database-url postgresql://postgres@127.0.0.1/hotline_bench_city_x \\
        --as-of 2026-12-01T00:00+08:00                       # a copy of bench/city.py's city
    .venv/bin/python bench/pages.py --only search,tickets --requests 50

Each page is requested ``--requests`` times (after two warm-up requests) through the app's
test client, in this process: the time is the server's whole handling of the request
(routing, session, queries, rendering), without a network. Beside it: the median CPU time
this process spent on a request (on SQLite the database's work included; PostgreSQL's is
not), which a busy machine inflates less than the wall-clock time, the statements run and
their time. The trivial endpoint ``GET
/livez`` is measured the same way before and after the pages: the floor of this app on this
machine at this moment. Target: every page under 150 ms at p95.

The pages: the PAGES table below (name, role, path), plus every page route of the app that
takes no argument and that the table does not name ("discovered": measured for each role
that gets it with a 200), so pages added later (role queues, admin pages) are measured
without editing this file; give them a row in PAGES to name them and choose their roles.
A path may use placeholders, filled per role from the database: ``{ticket}`` (a ticket this
user may see: the newest of theirs), ``{unit}`` (the user's unit code), ``{word}`` (a
common word of the tickets' text, a different one each request), ``{phrase}`` (four
characters of one of this user's tickets, a different ticket each request), ``{number}``
(a ticket number this user may see), ``{question}`` (a knowledge-base question, new each
request: the semantic side caches the vectors of questions it has seen).

Users: on the demo, its users (password demo-12345); on the city, the first active user of
each role, and for unit staff the staff of the unit with the most open tickets (password
bench-12345). The clock is frozen at ``--as-of`` (default: the newest ticket's time).
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from sqlalchemy import event, text  # noqa: E402

TARGET_MS = 150.0
PASSWORDS = ("bench-12345", "demo-12345")
ROLES = ("operator", "dispatcher", "unit_staff", "supervisor", "kb_editor", "admin")


@dataclass(frozen=True)
class Page:
    name: str
    role: str | None  # None: signed out
    path: str


# The main pages and lists, by role. Add a row for a new page (the discovery finds it anyway).
PAGES = [
    Page("sign-in page", None, "/login"),
    Page("start page", "operator", "/"),
    Page("intake 登记来电", "operator", "/tickets/new"),
    Page("ticket list", "operator", "/tickets"),
    Page("ticket page", "operator", "/tickets/{ticket}"),
    Page("search: a common word", "operator", "/tickets?q={word}"),
    Page("search: a phrase", "operator", "/tickets?q={phrase}"),
    Page("search: a ticket number", "operator", "/tickets?q={number}"),
    Page("knowledge-base search", "operator", "/kb?q={question}"),
    Page("start page", "dispatcher", "/"),
    Page("queue 待派单", "dispatcher", "/tickets?status=pending_dispatch"),
    Page("queue 退回", "dispatcher", "/tickets?status=returned"),
    Page("ticket page", "dispatcher", "/tickets/{ticket}"),
    Page("start page", "unit_staff", "/"),
    Page("ticket list", "unit_staff", "/tickets"),
    Page("inbox 待签收", "unit_staff", "/tickets?status=dispatched"),
    Page("inbox 办理中", "unit_staff", "/tickets?status=accepted"),
    Page("ticket page", "unit_staff", "/tickets/{ticket}"),
    Page("search: a common word", "unit_staff", "/tickets?q={word}"),
    Page("search: a phrase", "unit_staff", "/tickets?q={phrase}"),
    Page("start page", "supervisor", "/"),
    Page("ticket list", "supervisor", "/tickets"),
    Page("ticket list, urgent complaints", "supervisor", "/tickets?type=complaint&status=accepted"),
    Page("ticket page", "supervisor", "/tickets/{ticket}"),
    Page("search: a common word", "supervisor", "/tickets?q={word}"),
    Page("start page", "kb_editor", "/"),
    Page("knowledge-base search", "kb_editor", "/kb?q={question}"),
    Page("ticket list", "admin", "/tickets"),
]

WORDS = ("路灯", "噪音", "停水", "物业", "垃圾", "漏水", "电梯", "小区", "占道", "公交", "停车", "施工", "社保", "违建")
QUESTIONS = (
    "社保卡丢了怎么补办",
    "公积金提取需要哪些材料",
    "居住证到期了在哪里续签",
    "孩子上小学要打哪些疫苗",
    "营业执照地址变更怎么办理",
    "老人优待证在哪里办",
    "失业保险金怎么领取",
    "医保异地就医怎么备案",
    "新生儿户口怎么登记",
    "驾驶证到期换证去哪里",
    "房屋租赁合同怎么备案",
    "小区停水什么时候恢复",
    "个体户怎么交社保",
    "身份证丢了怎么补办",
    "退休金怎么计算",
    "残疾证怎么申请",
    "燃气费在哪里交",
    "公租房怎么申请",
    "护照怎么办理",
    "灵活就业人员医保怎么缴费",
)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


class Statements:
    """SQL statements run and their time (SQLAlchemy cursor events), for the current page."""

    def __init__(self, engine):
        self.count, self.seconds = 0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.seconds += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    def reset(self):
        self.count, self.seconds = 0, 0.0


# --- the app and its data ---------------------------------------------------------------------


def demo_app(data_dir: str):
    """The embedded default: a fresh SQLite database with the demo city, as `make run` loads it."""
    from flask_migrate import upgrade

    from hotline import create_app

    app = create_app(_config(f"sqlite:///{data_dir}/hotline.sqlite3", data_dir, None))
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    if result.exit_code != 0:
        raise SystemExit(f"demo seed failed: {result.output}")
    return app


def city_app(url: str, data_dir: str, as_of: datetime | None):
    from hotline import create_app

    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app(_config(url, data_dir, None))
    with app.app_context():
        from hotline.extensions import db

        newest = db.session.execute(text("SELECT max(created_at) FROM tickets")).scalar()
        db.session.rollback()
    frozen = as_of or newest
    app.config["CLOCK"] = lambda: frozen
    return app, frozen


def _config(url: str, data_dir: str, clock) -> dict:
    config = {
        "HOTLINE_ENV": "testing",
        "SECRET_KEY": "bench",
        "DATABASE_URL": url,
        "DATA_DIR": data_dir,
        "SWEEP_TIMER": False,
        "WTF_CSRF_ENABLED": False,  # the client signs in with a plain form post
    }
    if clock is not None:
        config["CLOCK"] = clock
    return config


def users_by_role(app) -> dict[str, tuple[str, str | None]]:
    """role → (username, unit code): the first active user of each role; for unit staff, of
    the unit with the most open tickets."""
    from hotline.extensions import db

    with app.app_context():
        found = {}
        for role in ROLES:
            if role == "unit_staff":
                row = db.session.execute(
                    text(
                        "SELECT u.username, n.code FROM users u JOIN units n ON n.id = u.unit_id "
                        "WHERE u.role = 'unit_staff' AND u.is_active AND u.unit_id = ("
                        "  SELECT lead_unit_id FROM tickets WHERE status IN ('dispatched', 'accepted') "
                        "  GROUP BY lead_unit_id ORDER BY count(*) DESC LIMIT 1) ORDER BY u.id LIMIT 1"
                    )
                ).first()
            else:
                row = db.session.execute(
                    text(
                        "SELECT u.username, n.code FROM users u LEFT JOIN units n ON n.id = u.unit_id "
                        "WHERE u.role = :role AND u.is_active ORDER BY u.id LIMIT 1"
                    ),
                    {"role": role},
                ).first()
            if row is not None:
                found[role] = (row[0], row[1])
        db.session.rollback()
    return found


def samples(app, username: str) -> dict[str, list[str]]:
    """Values for the placeholders, from what this user may see."""
    from hotline.accounts.models import User
    from hotline.extensions import db
    from hotline.tickets import queries

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        newest = queries.search(user, page=1, per_page=40).items
        rng = random.Random(7)
        phrases = []
        for t in newest:
            content = "".join(ch for ch in t.content if ch.isalnum())
            if len(content) >= 8:
                start = rng.randrange(0, len(content) - 4)
                phrases.append(content[start : start + 4])
        values = {
            "ticket": [t.number for t in newest[:1]],
            "number": [t.number for t in newest[:20]],
            "phrase": phrases[:20],
            "unit": [user.unit.code] if user.unit_id else [],
            "word": list(WORDS),
            "question": list(QUESTIONS),
        }
        db.session.rollback()
    return values


def _questions():
    for prefix in ("", "请问", "我想问一下", "麻烦问下", "你好，", "咨询一下"):
        for question in QUESTIONS:
            yield prefix + question


# --- measuring --------------------------------------------------------------------------------


class Bench:
    def __init__(self, app, requests: int):
        from hotline.extensions import db

        self.app, self.requests = app, requests
        with app.app_context():
            self.statements = Statements(db.engine)
        self.users = users_by_role(app)
        self.clients: dict = {}
        self.values: dict = {}
        self.results: list[tuple] = []

    def client(self, role: str | None):
        if role in self.clients:
            return self.clients[role]
        client = self.app.test_client()
        if role is not None:
            if role not in self.users:
                return None
            username = self.users[role][0]
            if not any(
                client.post("/login", data={"username": username, "password": p}).status_code == 302 for p in PASSWORDS
            ):
                print(f"  could not sign in as {username} ({role})")
                return None
            self.values[role] = samples(self.app, username)
        self.clients[role] = client
        return client

    def paths(self, page: Page):
        """The page's path for each request (placeholders filled, rotating)."""
        fields = [f for f in ("ticket", "unit", "word", "phrase", "number", "question") if "{" + f + "}" in page.path]
        values = self.values.get(page.role, {})
        if any(not values.get(f) for f in fields if f != "question"):
            return None
        pools = {f: itertools.cycle(values[f]) for f in fields if f != "question"}
        questions = itertools.cycle(list(_questions()))
        return (page.path.format(**{f: next(pools[f]) for f in pools}, question=next(questions)) for _ in iter(int, 1))

    def get(self, client, path: str):
        """A GET; a redirect inside the app is followed (the start pages), and timed as one."""
        response = client.get(path)
        if response.status_code in (301, 302, 303) and response.headers["Location"].startswith("/"):
            response = client.get(response.headers["Location"])
        return response

    def measure(self, page: Page, label: str | None = None) -> None:
        label = label or f"{page.role or 'anonymous'}: {page.name}"
        client = self.client(page.role)
        paths = self.paths(page) if client is not None else None
        if paths is None:
            self.report(label, page.path, None, "no user or no data for this page")
            return
        first = self.get(client, next(paths))
        if first.status_code != 200:
            self.report(label, page.path, None, f"HTTP {first.status_code}")
            return
        self.get(client, next(paths))
        times, cpu = [], []
        self.statements.reset()
        for _ in range(self.requests):
            path = next(paths)
            t0, c0 = time.perf_counter(), time.process_time()
            response = self.get(client, path)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            if response.status_code != 200:
                self.report(label, path, None, f"HTTP {response.status_code}")
                return
        sql = (self.statements.count / self.requests, self.statements.seconds / self.requests * 1000)
        self.report(label, page.path, times, None, sql, statistics.median(cpu) * 1000)

    def report(self, label, path, times, problem, sql=None, cpu_ms=None) -> None:
        if times is None:
            print(f"  {label:<52} {path:<42} NOT MEASURED: {problem}")
            self.results.append((label, path, None, None, problem))
            return
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        verdict = "ok" if p95 < TARGET_MS else f"MISSED (p95 target {TARGET_MS:g} ms)"
        print(
            f"  {label:<52} {path:<42} p50 {p50:>7.1f}  p95 {p95:>7.1f} ms  CPU {cpu_ms:>6.1f} ms  "
            f"{sql[0]:>4.0f} statements, {sql[1]:>6.1f} ms SQL  {verdict}"
        )
        self.results.append((label, path, p50, p95, verdict))


def discovered(app, named: set[str]) -> list[str]:
    """Page routes with no argument that PAGES does not name (not the API, the pages'
    JSON under /ui, static files, health checks or sign-out)."""
    skip = ("/api/", "/ui/", "/static/", "/livez", "/healthz", "/logout", "/login")
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if "GET" not in rule.methods or rule.arguments or path.startswith(skip) or path in named:
            continue
        found.append(path)
    return sorted(set(found))


def run(app, requests: int, only: tuple[str, ...]) -> Bench:
    bench = Bench(app, requests)
    floor = Page("trivial endpoint /livez", None, "/livez")
    bench.measure(floor, "floor: GET /livez (before)")
    for page in PAGES:
        label = f"{page.role or 'anonymous'}: {page.name}"
        if not only or any(part in label or part in page.path for part in only):
            bench.measure(page, label)
    named = {p.path.split("?")[0] for p in PAGES}
    for path in discovered(app, named):
        for role in ROLES:
            client = bench.client(role)
            label = f"{role}: {path} (discovered)"
            if client is None or (only and not any(part in label for part in only)):
                continue
            if bench.get(client, path).status_code == 200:
                bench.measure(Page(path, role, path), label)
    bench.measure(floor, "floor: GET /livez (after)")
    return bench


def summary(title: str, bench: Bench) -> None:
    measured = [r for r in bench.results if r[3] is not None]
    missed = [r for r in measured if not r[4].startswith("ok") and not r[0].startswith("floor")]
    print(f"\n{title}: {len(measured)} measured, {len(missed)} over {TARGET_MS:g} ms at p95")
    for label, path, p50, p95, _ in sorted(measured, key=lambda r: -r[3])[:12]:
        print(f"  {p95:>8.1f} ms p95  {p50:>8.1f} ms p50  {label}  {path}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL database to measure (default: a fresh embedded demo)")
    parser.add_argument("--as-of", help="the clock, ISO 8601 (default: the newest ticket's time)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--only", help="comma-separated parts of page labels or paths to measure (default: all)")
    args = parser.parse_args(argv)
    only = tuple(p.strip() for p in (args.only or "").split(",") if p.strip())
    data_dir = tempfile.mkdtemp(prefix="hotline-bench-pages-")
    if args.database_url:
        as_of = datetime.fromisoformat(args.as_of).astimezone(UTC) if args.as_of else None
        app, as_of = city_app(args.database_url, data_dir, as_of)
        title = f"PostgreSQL {args.database_url.rsplit('/', 1)[1]}"
    else:
        t0 = time.perf_counter()
        app = demo_app(data_dir)
        title = "the embedded demo (SQLite)"
        print(f"demo built in {time.perf_counter() - t0:.1f} s")
        as_of = None
    with app.app_context():
        from hotline.extensions import db

        tickets = db.session.execute(text("SELECT count(*) FROM tickets")).scalar()
        db.session.rollback()
    when = f", clock at {as_of + timedelta(hours=8):%Y-%m-%d %H:%M} Asia/Shanghai" if as_of else ""
    print(f"\nPages on {title}: {tickets:,} tickets{when}; p50/p95 of {args.requests} requests each\n")
    bench = run(app, args.requests, only)
    summary(title, bench)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
