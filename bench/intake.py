"""Intake and workflow throughput through the real app (WSGI, no network), on SQLite and PostgreSQL.

    .venv/bin/python bench/intake.py [--tickets 2000] [--threads 4] [--postgresql-url URL]

Creates a fresh database (a temporary SQLite file; for PostgreSQL a database named
hotline_bench_intake that is dropped afterwards), loads the demo city, then has N threads
record tickets through POST /api/v1/tickets and drive half of them through submit →
dispatch → accept → reply. Prints requests per second and latency percentiles per step.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from hotline import create_app
from hotline.extensions import db


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def build_app(url: str, data_dir: str):
    from flask_migrate import upgrade

    from hotline.core import clock
    from hotline.demo.seed import seed

    app = create_app({"HOTLINE_ENV": "development", "DATABASE_URL": url, "DATA_DIR": data_dir})
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
            call("reply", "hrss", "POST", f"/api/v1/tickets/{n}/reply", {"content": "已答复"})

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    timings["_wall"] = [time.perf_counter() - started]
    return timings


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--postgresql-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server to create the benchmark database on ('' to skip PostgreSQL)",
    )
    args = parser.parse_args()
    print(f"intake benchmark: {args.tickets} tickets, {args.threads} threads, cores: {os.cpu_count()}")

    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(f"sqlite:///{tmp}/bench.sqlite3", tmp)
        report("SQLite (embedded default)", run(app, args.tickets, args.threads))
        with app.app_context():
            db.engine.dispose()

    if args.postgresql_url:
        admin_url = args.postgresql_url.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = "hotline_bench_intake"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = admin.url.set(database=name).render_as_string(hide_password=False)
                app = build_app(url, tmp)
                report("PostgreSQL", run(app, args.tickets, args.threads))
                with app.app_context():
                    db.engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
