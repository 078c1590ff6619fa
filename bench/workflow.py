"""The whole life of a ticket over HTTP under gunicorn: intake, submit, dispatch, accept,
reply, callback, detail, beside the server's trivial endpoint and the bare intake (the floor).

    .venv/bin/python bench/workflow.py [--database postgresql|sqlite] [--clients 16] [--tickets 400]
                                       [--workers N] [--threads T] [--redis-url URL] [--no-bare]

Creates a fresh database (PostgreSQL: hotline_bench_workflow, dropped afterwards; SQLite: a
temporary file), loads the demo city and serves the product with gunicorn (production
configuration, gthread workers). Then, step after step, --clients concurrent clients
(threads with keep-alive connections) drive --tickets tickets through the step: intake as
an operator (a consultation, each with a new caller), submit, dispatch (to the category's
unit, with one assisting unit), accept and reply as that unit's staff, callback (satisfied)
as the operator, and the ticket's detail as the operator. Before the steps, in the same run,
GET /livez (no database: the ceiling) and, on PostgreSQL, bench/bare/app.py (intake's
statements through raw psycopg: the floor). For each: requests per second, p50/p99, the
server's CPU per request (gunicorn master and workers, from /proc) and the SQL statements
one request of the step runs (counted in-process on the same database before the server
starts; BEGIN, which only SQLite sends as a statement, and after-commit jobs not). Side
effects go to rq with --redis-url (nothing consumes them during the run); without it they
run inline after each commit.
"""

from __future__ import annotations

import argparse
import json
import os
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
        "reply": {"content": "已按政策答复：请携带身份证到社保窗口办理。"},
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
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--redis-url", default="", help="HOTLINE_REDIS_URL for the server (default: none)")
    parser.add_argument("--no-bare", dest="bare", action="store_false")
    parser.add_argument("--postgresql-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    clients = args.clients or (16 if args.database == "postgresql" else 4)
    admin = None
    name = "hotline_bench_workflow"
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
        numbers: list[str] = []
        # Warm the workers (imports, caches, connections) on tickets of their own.
        warm: list[str] = []
        for step in STEPS:
            hammer(port, clients, clients * 4, lambda i, s=step: request_for(s, i, warm, tokens, 80_000_000))
            if step == "intake":
                warm.extend(_numbers_since(url, args.database, 0))
        results = []
        for label, endpoint_port, pid, make in runs:
            results.append(_measure(label, endpoint_port, pid, clients, args.tickets, make))
        for step in STEPS:
            before = _last_id(url, args.database)
            make = lambda i, s=step: request_for(s, i, numbers, tokens, 0)  # noqa: E731
            results.append(_measure(step, port, server.pid, clients, args.tickets, make))
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
        f"{clients} clients, {args.tickets} tickets per step, cores: {os.cpu_count()}"
    )
    print(f"  {'step':<22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'CPU ms':>8}{'statements':>12}")
    for label, rate, latencies, cpu_ms in results:
        n = statements.get(label, "")
        print(
            f"  {label:<22}{rate:>8.0f}{statistics.median(latencies) * 1000:>9.1f}"
            f"{percentile(latencies, 99) * 1000:>9.1f}{max(latencies) * 1000:>9.1f}{cpu_ms:>8.2f}{n!s:>12}"
        )


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
