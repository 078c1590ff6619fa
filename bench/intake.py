"""Intake throughput over HTTP under gunicorn on PostgreSQL, beside the same server's trivial
endpoint (the ceiling), and the whole workflow in-process on SQLite and PostgreSQL.

    .venv/bin/python bench/intake.py [--clients 16] [--requests 6000] [--rounds 3] [--workers N] [--threads T]
                                     [--worker-class gthread|sync] [--redis-url URL] [--no-bare]
                                     [--workflow-tickets 2000] [--postgresql-url URL]

1. HTTP: creates the database hotline_bench_intake on the PostgreSQL server (dropped
   afterwards), loads the demo city, starts gunicorn (gthread workers unless --worker-class
   sync, production configuration) on a free local port, and has --clients concurrent clients (threads with
   keep-alive connections) send requests to GET /livez (no database: the ceiling) and
   tickets to POST /api/v1/tickets as an operator, the two taking turns for --rounds rounds
   (--requests per endpoint in all). Prints requests per second (median of the rounds),
   p50/p99 latency over all rounds, and intake's throughput as a share of the ceiling, the
   median of the rounds' shares (target: at least 40 %, p99 under 100 ms). Clients and
   server share the machine's cores; the CPU each request cost the server, PostgreSQL and
   the clients is printed for each endpoint (read from /proc). In the same rounds (unless
   --no-bare), the floor:
   bench/bare/app.py, a bare Flask view that runs intake's six statements through raw
   psycopg, under the same gunicorn settings, on the same database; what any intake
   written with this stack costs on this machine before it does any of the product's work.
2. Cost of one intake, in-process on PostgreSQL (one thread, WSGI test client): SQL
   statements per intake, and milliseconds per intake: wall time, this process's CPU
   (Flask, SQLAlchemy, psycopg) and PostgreSQL's round trips (wall minus CPU); and Python
   function calls per intake (cProfile), a measure of the work that does not drift with
   the machine's speed.
3. Workflow (--workflow-tickets 0 skips it): in-process (WSGI test client, no network),
   threads record tickets and drive half of them through submit → dispatch → accept →
   reply, on a temporary SQLite file and on PostgreSQL; per-step latency.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from hotline import create_app
from hotline.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def build_app(url: str, data_dir: str):
    from flask_migrate import upgrade

    from hotline.core import clock
    from hotline.demo.seed import seed

    # No deadline timer: it would sweep the demo's deadlines while the requests are timed.
    app = create_app({"HOTLINE_ENV": "development", "DATABASE_URL": url, "DATA_DIR": data_dir, "SWEEP_TIMER": False})
    with app.app_context():
        upgrade()
        seed(now=clock.now(), echo=lambda *_: None)
        db.session.commit()
    return app


def run(app, tickets: int, threads: int) -> dict[str, list[float]]:
    client = app.test_client()
    tokens = {}
    for user in ("op1", "disp1", "hrss"):
        tokens[user] = client.post("/api/v1/auth/token", json={"username": user, "password": "demo-12345"}).json[
            "token"
        ]
    timings: dict[str, list[float]] = {k: [] for k in ("create", "submit", "dispatch", "accept", "reply")}
    lock = threading.Lock()
    per_thread = tickets // threads

    def call(step, user, method, path, body):
        c = app.test_client()
        start = time.perf_counter()
        r = c.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[user]}"})
        elapsed = time.perf_counter() - start
        if r.status_code >= 400:
            raise RuntimeError(f"{step} {path}: {r.status_code} {r.get_json()}")
        with lock:
            timings[step].append(elapsed)
        return r.get_json()

    def worker(index):
        for i in range(per_thread):
            t = call(
                "create",
                "op1",
                "POST",
                "/api/v1/tickets",
                {
                    "caller_phone": f"1380013{index:02d}{i % 100:02d}",
                    "request_type": "consultation",
                    "category": "SOCIAL.PENSION",
                    "content": f"基准测试工单 {index}-{i}：退休手续怎么办理？",
                },
            )
            if i % 2:
                continue
            n = t["number"]
            call("submit", "op1", "POST", f"/api/v1/tickets/{n}/submit", {})
            call("dispatch", "disp1", "POST", f"/api/v1/tickets/{n}/dispatch", {"lead_unit": "HRSS"})
            call("accept", "hrss", "POST", f"/api/v1/tickets/{n}/accept", {})
            call("reply", "hrss", "POST", f"/api/v1/tickets/{n}/reply", {"content": "已答复", "confirm_warnings": True})

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    timings["_wall"] = [time.perf_counter() - started]
    return timings


def intake_cost(app, count: int = 500) -> None:
    """Statements and time per intake in this process, on one thread."""
    from sqlalchemy import event

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "op1", "password": "demo-12345"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    statements = []

    def one(i):
        body = {
            "caller_phone": f"137{i:08d}",
            "request_type": "consultation",
            "category": "SOCIAL.PENSION",
            "content": f"基准测试工单 {i}：退休手续怎么办理？",
        }
        assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201

    for i in range(50):  # warm: prepared statements, caches
        one(i)
    with app.app_context():
        engine = db.engine
    listener = lambda *a, **k: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(1000, 1000 + count):
        one(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    event.remove(engine, "before_cursor_execute", listener)
    # Python function calls per intake: unlike the times, the same on any machine at any
    # moment, so two versions of the code can be compared on a shared, drifting VM.
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(2000, 2000 + count // 5):
        one(i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    calls = stats.total_calls / (count // 5)
    # Round trips: psycopg waits for the server once per exchange (BEGIN, each statement,
    # COMMIT, a ping); its blocking wait is Connection.wait.
    waits = sum(
        ncalls
        for (path, _, function), (ncalls, *_) in stats.stats.items()
        if function == "wait" and path.endswith(os.path.join("psycopg", "connection.py"))
    ) / (count // 5)
    print(
        f"\nOne intake in-process on PostgreSQL ({count} in a row, one thread): "
        f"{len(statements) / count:.0f} SQL statements, {waits:.0f} round trips, {wall / count * 1000:.1f} ms "
        f"({cpu / count * 1000:.1f} ms Python CPU, {(wall - cpu) / count * 1000:.1f} ms waiting for PostgreSQL), "
        f"{calls:,.0f} Python function calls"
    )


def report(name: str, timings: dict[str, list[float]]) -> None:
    wall = timings.pop("_wall")[0]
    requests = sum(len(v) for v in timings.values())
    print(f"\n{name}: {requests} requests in {wall:.1f} s = {requests / wall:.0f} requests/s")
    print(f"  {'step':<10}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for step, values in timings.items():
        if values:
            print(
                f"  {step:<10}{len(values):>7}{statistics.median(values) * 1000:>9.1f}"
                f"{percentile(values, 95) * 1000:>9.1f}{max(values) * 1000:>9.1f}"
            )


# -- HTTP under gunicorn ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, data_dir: str, redis_url: str, workers: int, threads: int, worker_class: str):
    """The product under gunicorn, production configuration; (process, port)."""
    env = {
        **os.environ,
        "HOTLINE_ENV": "production",
        "HOTLINE_SECRET_KEY": secrets.token_hex(32),
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_DATA_DIR": data_dir,
        "HOTLINE_SWEEP_INTERVAL_SECONDS": "0",  # no deadline timer in the measured processes
    }
    env.pop("HOTLINE_REDIS_URL", None)
    if redis_url:
        env["HOTLINE_REDIS_URL"] = redis_url
    return serve("wsgi:app", env, workers, threads, worker_class)


def start_bare(database_url: str, workers: int, threads: int, worker_class: str):
    """bench/bare/app.py (intake's statements through raw psycopg) under the same settings."""
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    env = {**os.environ, "HOTLINE_BARE_DSN": dsn}
    return serve("app:app", env, workers, threads, worker_class, chdir=ROOT / "bench" / "bare")


def serve(app_spec: str, env: dict, workers: int, threads: int, worker_class: str, *, chdir: Path = ROOT):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    server = subprocess.Popen(command, cwd=chdir, env=env)
    try:
        wait_until_serving(server, port, seconds=30, what=f"gunicorn {app_spec}")
    except RuntimeError:
        server.terminate()
        raise
    return server, port


def wait_until_serving(server: subprocess.Popen, port: int, *, seconds: float, what: str) -> None:
    """Until ``GET /livez`` on ``port`` answers 200; RuntimeError when ``server`` exits first or
    ``seconds`` pass."""
    for _ in range(int(seconds * 10)):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/livez")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"{what} exited at start-up")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {seconds:.0f} s")


def cpu_ticks(server_pid: int) -> dict[str, int]:
    """CPU time (clock ticks, user + system) so far of the server under test (the gunicorn
    master and its workers), of PostgreSQL's processes and of this process (the clients);
    empty where /proc is not there."""
    ticks = {"server": 0, "postgres": 0, "clients": 0}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, used = int(fields[1]), int(fields[11]) + int(fields[12])
        if int(pid) == server_pid or ppid == server_pid:
            ticks["server"] += used
        elif comm.startswith("postgres"):
            ticks["postgres"] += used
        elif int(pid) == os.getpid():
            ticks["clients"] += used
    return ticks


def hammer(port: int, clients: int, total: int, make_request) -> tuple[float, list[float]]:
    """``clients`` threads, each with one keep-alive connection, send ``total`` requests."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        barrier.wait()
        for i in range(index, total, clients):
            method, path, body, headers = make_request(i)
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            mine.append(time.perf_counter() - start)
            if response.status >= 400:
                errors.append(f"{method} {path}: {response.status} {data[:200]!r}")
                break
        conn.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} request(s) failed, e.g. {errors[0]}")
    return wall, latencies


CEILING, INTAKE, BARE = "GET /livez (ceiling)", "POST /api/v1/tickets", "bare intake (floor)"


def http_benchmark(args, admin, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        app = build_app(url, tmp)
        with app.app_context():
            db.engine.dispose()
        servers = []
        try:
            server, port = start_gunicorn(url, tmp, args.redis_url, args.workers, args.threads, args.worker_class)
            servers.append(server)
            if args.bare:
                bare, bare_port = start_bare(url, args.workers, args.threads, args.worker_class)
                servers.append(bare)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            login = json.dumps({"username": "op1", "password": "demo-12345"})
            conn.request("POST", "/api/v1/auth/token", body=login, headers={"Content-Type": "application/json"})
            token = json.loads(conn.getresponse().read())["token"]
            conn.close()
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

            def livez(i):
                return "GET", "/livez", None, {}

            def intake(i):
                body = {
                    "caller_phone": f"139{i:08d}",
                    "request_type": "consultation",
                    "category": "SOCIAL.PENSION",
                    "channel": "phone",
                    "content": f"基准测试工单 {i}：退休手续怎么办理？需要带什么材料？",
                }
                return "POST", "/api/v1/tickets", json.dumps(body, ensure_ascii=False).encode(), headers

            # (label, port, request, first caller number): every ticket has a new caller.
            endpoints = [(CEILING, port, livez, 0), (INTAKE, port, intake, 0)]
            pids = {port: server.pid}
            if args.bare:
                endpoints.append((BARE, bare_port, intake, 50_000_000))
                pids[bare_port] = bare.pid
            warm = max(args.clients * 10, 100)
            for _, endpoint_port, make, first in endpoints:
                hammer(endpoint_port, args.clients, warm, lambda i, m=make, f=first: m(f + 10_000_000 + i))
            # The endpoints take turns, round after round, so that a change in the machine's
            # speed during the run (a shared VM) touches them alike.
            rounds = {label: [] for label, *_ in endpoints}
            cpu = {label: {} for label, *_ in endpoints}  # CPU ticks spent by each side
            per_round = max(args.requests // args.rounds, args.clients)
            for r in range(args.rounds):
                for label, endpoint_port, make, first in endpoints:
                    offset = first + r * per_round
                    before = cpu_ticks(pids[endpoint_port])
                    wall, latencies = hammer(
                        endpoint_port, args.clients, per_round, lambda i, m=make, o=offset: m(o + i)
                    )
                    after = cpu_ticks(pids[endpoint_port])
                    for side in after:
                        cpu[label][side] = cpu[label].get(side, 0) + after[side] - before[side]
                    rounds[label].append((len(latencies) / wall, latencies))
        finally:
            for server in servers:
                server.terminate()
                server.wait(30)
    shape = (
        f"{args.workers} gthread workers × {args.threads} threads"
        if args.worker_class == "gthread"
        else f"{args.workers} sync workers (a new connection per request)"
    )
    print(
        f"\nHTTP, gunicorn {shape}, PostgreSQL"
        f"{', Redis' if args.redis_url else ''}, {args.clients} concurrent clients, "
        f"{args.rounds} rounds of {per_round} requests per endpoint, taking turns:"
    )
    print(f"  {'endpoint':<24}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}   req/s by round")
    for label, runs in rounds.items():
        latencies = [x for _, run_latencies in runs for x in run_latencies]
        print(
            f"  {label:<24}{statistics.median(rate for rate, _ in runs):>8.0f}"
            f"{statistics.median(latencies) * 1000:>9.1f}{percentile(latencies, 99) * 1000:>9.1f}"
            f"{max(latencies) * 1000:>9.1f}   {' '.join(f'{rate:.0f}' for rate, _ in runs)}"
        )

    if all(cpu.values()):
        # Clients, server and PostgreSQL share the cores: the share of the ceiling is about
        # the ratio of what a request costs in CPU, all sides together.
        tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        print(f"  {'CPU per request, ms':<24}{'server':>8}{'PostgreSQL':>12}{'clients':>9}{'all':>8}")
        for label, sides in cpu.items():
            n = sum(len(latencies) for _, latencies in rounds[label])
            ms = {side: used * tick_ms / n for side, used in sides.items()}
            print(
                f"  {label:<24}{ms['server']:>8.2f}{ms['postgres']:>12.2f}{ms['clients']:>9.2f}{sum(ms.values()):>8.2f}"
            )

    def share(label):
        """The median over the rounds of the endpoint's rate as a share of the ceiling's."""
        shares = [rate / ceiling for (ceiling, _), (rate, _) in zip(rounds[CEILING], rounds[label], strict=True)]
        return statistics.median(shares), " ".join(f"{x:.1%}" for x in shares)

    def p99(label):
        return percentile([x for _, run_latencies in rounds[label] for x in run_latencies], 99) * 1000

    ratio, by_round = share(INTAKE)
    print(
        f"  intake / ceiling = {ratio:.1%}, median of the rounds ({by_round}; "
        f"target ≥ 40 %: {'met' if ratio >= 0.4 else 'MISSED'}); "
        f"intake p99 {p99(INTAKE):.0f} ms over all rounds (target < 100 ms: {'met' if p99(INTAKE) < 100 else 'MISSED'})"
    )
    if args.bare:
        ratio, by_round = share(BARE)
        print(
            f"  bare intake / ceiling = {ratio:.1%} ({by_round}), p99 {p99(BARE):.0f} ms: the same six statements "
            "through raw psycopg in a bare Flask view (bench/bare/app.py), the floor of this stack on this machine"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--requests", type=int, default=6000, help="requests per measured endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds in which the two endpoints take turns")
    # One worker per core, two threads each: what the README recommends (the request is CPU
    # work; more threads only lengthen the tail).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--worker-class",
        choices=("gthread", "sync"),
        default="gthread",
        help="gunicorn worker class; sync closes the connection after each response, so clients reconnect",
    )
    parser.add_argument("--redis-url", default="", help="HOTLINE_REDIS_URL for the server (default: none)")
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare intake (bench/bare/app.py)")
    parser.add_argument("--workflow-tickets", type=int, default=2000, help="in-process workflow run (0 skips)")
    parser.add_argument("--workflow-threads", type=int, default=4)
    parser.add_argument(
        "--postgresql-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server to create the benchmark database on",
    )
    args = parser.parse_args()
    print(f"intake benchmark, cores: {os.cpu_count()}")

    admin_url = args.postgresql_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = "hotline_bench_intake"

    def fresh_database():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    try:
        fresh_database()
        http_benchmark(args, admin, name)
        fresh_database()
        with tempfile.TemporaryDirectory() as tmp:
            app = build_app(admin.url.set(database=name).render_as_string(hide_password=False), tmp)
            intake_cost(app)
            with app.app_context():
                db.engine.dispose()
        if args.workflow_tickets:
            print(f"\nWorkflow in-process: {args.workflow_tickets} tickets, {args.workflow_threads} threads")
            with tempfile.TemporaryDirectory() as tmp:
                app = build_app(f"sqlite:///{tmp}/bench.sqlite3", tmp)
                report("SQLite (embedded default)", run(app, args.workflow_tickets, args.workflow_threads))
                with app.app_context():
                    db.engine.dispose()
            fresh_database()
            with tempfile.TemporaryDirectory() as tmp:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                app = build_app(url, tmp)
                report("PostgreSQL", run(app, args.workflow_tickets, args.workflow_threads))
                with app.app_context():
                    db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
