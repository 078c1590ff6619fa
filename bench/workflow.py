"""The whole life of a ticket over HTTP under gunicorn: intake, submit, dispatch, accept,
reply, callback, detail, beside the server's trivial endpoint and the bare intake (the floor).

    .venv/bin/python bench/workflow.py [--database postgresql|sqlite] [--clients 16] [--tickets 400] [--rounds 3]
                                       [--workers N] [--threads T] [--redis-url URL] [--no-bare]
    .venv/bin/python bench/workflow.py --profile [STEP|all] [--database ...] [--tickets 200]
                                       [--database-name NAME] [--redis-url URL] [--top 25] [--full-sql]

Creates a fresh database (PostgreSQL: hotline_bench_workflow, dropped afterwards; SQLite: a
temporary file), loads the demo city and serves the product with gunicorn (production
configuration, gthread workers). Then, step after step, --clients concurrent clients
(threads with keep-alive connections) drive --tickets tickets through the step: intake as
an operator (a consultation, each with a new caller), submit, dispatch (to the category's
unit, with one assisting unit), accept and reply as that unit's staff, callback (satisfied)
as the operator, and the ticket's detail as the operator; the whole life --rounds times on new
tickets (a shared machine's speed drifts within minutes: each step's CPU is compared with the
same round's intake's). Before the steps, in the same run,
GET /livez (no database: the ceiling) and, on PostgreSQL, bench/bare/app.py (intake's
statements through raw psycopg: the floor). For each: requests per second, p50/p99, the
server's CPU per request (gunicorn master and workers, from /proc) and the SQL statements
one request of the step runs (counted in-process on the same database before the server
starts; BEGIN, which only SQLite sends as a statement, and after-commit jobs not). Side
effects go to rq with --redis-url (nothing consumes them during the run); without it they
run inline after each commit.

--profile: no server, no clients. In this process (production configuration, WSGI test
client, one thread), --tickets tickets go through every step, one step after the other,
timed with time.process_time (this process's CPU: Flask, SQLAlchemy, the driver) and the
wall clock; then a fifth as many again under cProfile. Prints, per step: CPU ms and wall ms
per request, statements per request and Python function calls per request (which, unlike
the times, do not drift with the load of a shared machine), and for the STEP named (or
every step with "all") the statements of one request with their result columns, and the
functions with the most own time and the most calls. The
PostgreSQL database is --database-name (default hotline_bench_profile), created and dropped.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake import build_app, cpu_ticks, hammer, percentile, start_bare, start_gunicorn
from sqlalchemy import create_engine, event, text

from hotline.extensions import db

STEPS = ("intake", "submit", "dispatch", "accept", "reply", "callback", "detail")
USERS = {"intake": "op1", "submit": "op1", "dispatch": "disp1", "accept": "hrss", "reply": "hrss", "callback": "op1"}
USERS["detail"] = "op1"
REPLY = (
    "您好！关于您咨询的退休手续办理问题，经我局核实，请携带身份证、户口簿和社保卡到社保窗口办理退休手续，"
    "现已为您登记，材料齐全可当场办理完成。如有疑问请致电我局咨询。"
)


def request_for(step: str, i: int, numbers: list[str], tokens: dict[str, str], phone_base: int):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[USERS[step]]}"}
    if step == "intake":
        body = {
            "caller_phone": f"139{phone_base + i:08d}",
            "request_type": "consultation",
            "category": "SOCIAL.PENSION",
            "channel": "phone",
            "content": f"基准测试工单 {i}：退休手续怎么办理？需要带什么材料？",
        }
        return "POST", "/api/v1/tickets", json.dumps(body, ensure_ascii=False).encode(), headers
    number = numbers[i]
    if step == "detail":
        return "GET", f"/api/v1/tickets/{number}", None, headers
    body = {
        "submit": {},
        "dispatch": {"assist_units": ["DC"]},
        "accept": {},
        # a reply that passes the reply check (hotline/routing/replycheck.py): the usual case
        "reply": {"content": REPLY},
        "callback": {"satisfaction": "satisfied", "resolved": True},
    }[step]
    return "POST", f"/api/v1/tickets/{number}/{step}", json.dumps(body, ensure_ascii=False).encode(), headers


def count_statements(app, tokens: dict[str, str]) -> dict[str, int]:
    """Statements of one request of each step, in-process on the benchmark's database (the
    second ticket's: the first warms the caches), up to the request's commit."""
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    found: dict[str, int] = {}
    state = {"calls": 0, "open": False}

    def statement(_conn, _cursor, sql, *_a, **_k):
        if state["open"] and not sql.startswith("BEGIN"):
            state["calls"] += 1

    def committed(*_a, **_k):
        state["open"] = False

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", committed)
    try:
        for round_ in range(2):
            numbers: list[str] = []
            for step in STEPS:
                method, path, body, headers = request_for(step, 0, numbers, tokens, 90_000_000 + round_)
                state.update(calls=0, open=True)
                r = client.open(path, method=method, data=body, headers=headers)
                assert r.status_code < 300, (step, r.status_code, r.get_json())
                found[step] = state["calls"]
                if step == "intake":
                    numbers.append(r.get_json()["number"])
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", committed)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (16 on PostgreSQL, 4 on SQLite)")
    parser.add_argument("--tickets", type=int, default=400, help="tickets driven through every step")
    parser.add_argument("--rounds", type=int, default=3, help="how many times the life is run, on new tickets")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--redis-url", default="", help="HOTLINE_REDIS_URL for the server (default: none)")
    parser.add_argument("--no-bare", dest="bare", action="store_false")
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", nargs="?", const="", default=None, metavar="STEP", help="in-process CPU profile")
    parser.add_argument("--top", type=int, default=25, help="--profile: functions listed per step")
    parser.add_argument("--full-sql", action="store_true", help="--profile: print the statements in full")
    parser.add_argument(
        "--dump", default="", metavar="DIR", help="--profile: write each step's pstats to DIR/STEP.prof"
    )
    parser.add_argument("--database-name", default=None, help="PostgreSQL database to create and drop")
    args = parser.parse_args()
    clients = args.clients or (16 if args.database == "postgresql" else 4)
    admin = None
    name = args.database_name or ("hotline_bench_profile" if args.profile is not None else "hotline_bench_workflow")
    if name == "hotline_bench_city" or name.startswith("hotline_test_"):
        parser.error(f"{name} is not a database this benchmark may create and drop")
    tmp = tempfile.TemporaryDirectory()
    if args.database == "postgresql":
        admin = create_engine(
            args.postgresql_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp.name}/bench.sqlite3"
    servers = []
    try:
        if args.profile is not None:
            app = build_app(url, tmp.name)
            with app.app_context():
                db.engine.dispose()
            profile(url, tmp.name, args.redis_url, args.tickets, args.profile, args.top, args.full_sql, args.dump)
            return
        app = build_app(url, tmp.name)
        client = app.test_client()
        tokens = {
            user: client.post("/api/v1/auth/token", json={"username": user, "password": "demo-12345"}).json["token"]
            for user in set(USERS.values())
        }
        statements = count_statements(app, tokens)
        with app.app_context():
            db.engine.dispose()
        server, port = start_gunicorn(url, tmp.name, args.redis_url, args.workers, args.threads, "gthread")
        servers.append(server)
        runs = []  # (label, port, pid, make_request)
        runs.append(("GET /livez (ceiling)", port, server.pid, lambda i: ("GET", "/livez", None, {})))
        if args.bare and args.database == "postgresql":
            bare, bare_port = start_bare(url, args.workers, args.threads, "gthread")
            servers.append(bare)
            runs.append(
                ("bare intake (floor)", bare_port, bare.pid, lambda i: request_for("intake", i, [], tokens, 50_000_000))
            )
        # Warm the workers (imports, caches, connections) on tickets of their own.
        warm: list[str] = []
        for step in STEPS:
            hammer(port, clients, clients * 4, lambda i, s=step: request_for(s, i, warm, tokens, 80_000_000))
            if step == "intake":
                warm.extend(_numbers_since(url, args.database, 0))
        results = []
        for label, endpoint_port, pid, make in runs:
            results.append(_measure(label, endpoint_port, pid, clients, args.tickets, make))
        # The life again and again on new tickets: a shared machine's speed drifts within
        # minutes, so each step's CPU is compared with intake's of the same round.
        rounds: dict[str, list] = {step: [] for step in STEPS}
        for round_ in range(args.rounds):
            numbers: list[str] = []
            for step in STEPS:
                before = _last_id(url, args.database)
                make = lambda i, s=step, n=numbers, r=round_: request_for(s, i, n, tokens, r * 1_000_000)  # noqa: E731
                rounds[step].append(_measure(step, port, server.pid, clients, args.tickets, make))
                if step == "intake":
                    numbers.extend(_numbers_since(url, args.database, before))
                    assert len(numbers) == args.tickets, len(numbers)
    finally:
        for s in servers:
            s.terminate()
            s.wait(30)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        tmp.cleanup()
    print(
        f"\nA ticket's life over HTTP, gunicorn {args.workers} gthread workers × {args.threads} threads, "
        f"{args.database}{', side effects queued to Redis' if args.redis_url else ', side effects inline'}, "
        f"{clients} clients, {args.tickets} tickets per step, {args.rounds} round(s), cores: {os.cpu_count()}; "
        "a step's req/s and CPU ms are the median of its rounds, p50/p99/max over all its requests, "
        "× intake the median of its CPU over the same round's intake's"
    )
    header = f"  {'step':<22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'CPU ms':>8}{'× intake':>10}"
    print(f"{header}{'statements':>12}  CPU ms by round")
    for label, rate, latencies, cpu_ms in results:
        print(
            f"  {label:<22}{rate:>8.0f}{statistics.median(latencies) * 1000:>9.1f}"
            f"{percentile(latencies, 99) * 1000:>9.1f}{max(latencies) * 1000:>9.1f}{cpu_ms:>8.2f}"
        )
    for step in STEPS:
        measured = rounds[step]
        latencies = [x for _label, _rate, lat, _cpu in measured for x in lat]
        ratio = statistics.median(m[3] / i[3] for m, i in zip(measured, rounds["intake"], strict=True))
        print(
            f"  {step:<22}{statistics.median(m[1] for m in measured):>8.0f}{statistics.median(latencies) * 1000:>9.1f}"
            f"{percentile(latencies, 99) * 1000:>9.1f}{max(latencies) * 1000:>9.1f}"
            f"{statistics.median(m[3] for m in measured):>8.2f}{ratio:>10.2f}{statements.get(step, '')!s:>12}  "
            + " ".join(f"{m[3]:.2f}" for m in measured)
        )


def profile(
    url: str, data_dir: str, redis_url: str, tickets: int, show: str, top: int, full: bool = False, dump: str = ""
) -> None:
    """Each step's cost in this process: see --profile in the module's docstring."""
    from hotline import create_app

    config = {
        "HOTLINE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "DATA_DIR": data_dir,
        "SWEEP_TIMER": False,
        "REDIS_URL": redis_url or None,
    }
    app = create_app(config)
    client = app.test_client()
    tokens = {
        user: client.post("/api/v1/auth/token", json={"username": user, "password": "demo-12345"}).json["token"]
        for user in set(USERS.values())
    }
    with app.app_context():
        engine = db.engine
    state = {"statements": 0}

    def statement(_conn, _cursor, sql, *_a, **_k):
        if not sql.startswith("BEGIN"):
            state["statements"] += 1

    def batch(count: int, base: int, profilers=None):
        """``count`` tickets through every step; per step: CPU s, wall s, statements."""
        numbers: list[str] = []
        spent = {}
        for step in STEPS:
            requests = [request_for(step, i, numbers, tokens, base) for i in range(count)] if step != "intake" else None
            state["statements"] = 0
            profiler = (
                profilers.setdefault(step, cProfile.Profile(time.process_time)) if profilers is not None else None
            )
            cpu, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for i in range(count):
                method, path, body, headers = requests[i] if requests else request_for(step, i, numbers, tokens, base)
                r = client.open(path, method=method, data=body, headers=headers)
                if r.status_code >= 300:
                    raise RuntimeError(f"{step} {path}: {r.status_code} {r.get_json()}")
                if step == "intake":
                    numbers.append(r.get_json()["number"])
            if profiler:
                profiler.disable()
            spent[step] = (time.process_time() - cpu, time.perf_counter() - wall, state["statements"])
        return spent

    # What one request of each step reads: its statements with the columns of their results
    # (every result column costs the driver and the ORM some work in every request).
    shapes: dict[str, list[tuple[int, str]]] = {}

    def shape(_conn, cursor, sql, *_a, **_k):
        if state.get("step") and not sql.startswith("BEGIN"):
            shapes.setdefault(state["step"], []).append((len(cursor.description or ()), " ".join(sql.split())))

    event.listen(engine, "before_cursor_execute", statement)
    try:
        batch(max(10, tickets // 10), 70_000_000)  # warm: imports, caches, prepared statements
        timed = batch(tickets, 0)
        profilers: dict[str, cProfile.Profile] = {}
        sample = max(10, tickets // 5)
        batch(sample, 60_000_000, profilers)
        event.listen(engine, "after_cursor_execute", shape)
        numbers: list[str] = []
        for step in STEPS:
            method, path, body, headers = request_for(step, 0, numbers, tokens, 50_000_000)
            state["step"] = step
            r = client.open(path, method=method, data=body, headers=headers)
            state["step"] = None
            if step == "intake":
                numbers.append(r.get_json()["number"])
        event.remove(engine, "after_cursor_execute", shape)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        engine.dispose()
    load = os.getloadavg()
    print(
        f"\nEach step in-process ({url.split(':')[0]}, {'side effects queued to Redis' if redis_url else 'inline'}), "
        f"{tickets} tickets timed, {sample} profiled; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"  {'step':<10}{'CPU ms':>9}{'wall ms':>9}{'x intake':>9}{'statements':>12}{'calls':>9}{'columns':>9}")
    intake_cpu = timed["intake"][0] / tickets
    for step in STEPS:
        cpu, wall, statements = timed[step]
        calls = pstats.Stats(profilers[step]).total_calls / sample
        columns = sum(n for n, _ in shapes.get(step, ()))
        print(
            f"  {step:<10}{cpu / tickets * 1000:>9.2f}{wall / tickets * 1000:>9.2f}"
            f"{cpu / tickets / intake_cpu:>9.2f}{statements / tickets:>12.1f}{calls:>9,.0f}{columns:>9}"
        )
    if dump:
        os.makedirs(dump, exist_ok=True)
        for step, profiler in profilers.items():
            profiler.dump_stats(os.path.join(dump, f"{step}.prof"))
    for step in STEPS if show == "all" else ([show] if show else []):
        print(f"\n--- {step}: statements of one request (result columns, SQL) ---")
        for n, sql in shapes.get(step, ()):
            print(f"  {n:>4}  {sql if full else sql[:160]}")
        for order in ("tottime", "cumulative", "ncalls"):
            out = io.StringIO()
            stats = pstats.Stats(profilers[step], stream=out)
            stats.sort_stats(order).print_stats(top)
            print(f"\n--- {step}: by {order} (totals over {sample} requests) ---")
            print(out.getvalue().split("\n", 6)[-1] if "ncalls" in out.getvalue() else out.getvalue())


def _measure(label, port, pid, clients, total, make):
    before = cpu_ticks(pid)
    started = time.perf_counter()
    wall, latencies = hammer(port, clients, total, make)
    after = cpu_ticks(pid)
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    cpu_ms = (after.get("server", 0) - before.get("server", 0)) * tick_ms / len(latencies)
    del started
    return label, len(latencies) / wall, latencies, cpu_ms


def _engine(url: str, database: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1) if database == "postgresql" else url)


def _last_id(url: str, database: str) -> int:
    engine = _engine(url, database)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(id), 0) FROM tickets")).scalar()
    finally:
        engine.dispose()


def _numbers_since(url: str, database: str, after_id: int) -> list[str]:
    """The numbers of the tickets the product's intake recorded after ``after_id``, oldest first."""
    engine = _engine(url, database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT number FROM tickets WHERE id > :after AND status = 'new' "
                    "AND content LIKE '基准测试工单%' ORDER BY id"
                ),
                {"after": after_id},
            ).scalars()
            return list(rows)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
