"""Sweep time with 1,000 deadlines due among 10,000 and among 1,000,000 open tickets (PostgreSQL).

    .venv/bin/python bench/sweep.py                       # creates and drops hotline_bench_sla locally
    .venv/bin/python bench/sweep.py --database-url postgresql://postgres@127.0.0.1/mydb   # EMPTIED first
    .venv/bin/python bench/sweep.py --sizes 10000,100000 --runs 3

The data is written with COPY (never through the services). Each size holds ``--runs``
groups of ``--due`` tickets whose reply deadlines pass one hour apart; sweep k runs as
of group k's deadline + 1 minute, so every run records a warning and an overdue (with a
yellow card) for exactly ``--due`` deadlines, whatever else is open. The figure should
not grow with the number of open tickets: the sweep is a range scan on
``deadlines.next_check_at``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from hotline import create_app
from hotline.extensions import db
from hotline.sla import arithmetic as sla

BENCH_DB = "hotline_bench_sla"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BASE = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
TICKET_COLUMNS = (
    "id, number, version, status, channel, request_type, category_id, content, urgency, caller_id, "
    "lead_unit_id, created_by_id, reopen_count, created_at, updated_at, dispatched_at, reply_due_at"
)
DEADLINE_COLUMNS = (
    "ticket_id, kind, sequence, unit_id, started_at, base_hours, extension_hours, due_at, warn_at, red_at, "
    "policy, calendar, extensions, next_check_at, created_at, updated_at"
)


def _app(url: str):
    return create_app(
        {"HOTLINE_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": "/tmp", "SWEEP_TIMER": False}
    )


def _reset(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        tables = [
            r[0]
            for r in db.session.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        db.session.commit()


def _fixtures(app) -> tuple[int, int, int, int]:
    """One unit, category, user and caller; returns their ids."""
    with app.app_context():
        now = BASE
        unit = db.session.execute(
            text(
                "INSERT INTO units (code, name, level, is_active, created_at, updated_at) "
                "VALUES ('BENCH', '测试单位', 'city', true, :now, :now) RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        category = db.session.execute(
            text(
                "INSERT INTO categories (code, name, is_active, sort_order, created_at, updated_at) "
                "VALUES ('BENCH', '测试', true, 0, :now, :now) RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        user = db.session.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, role, is_active, session_version, "
                "failed_login_count, created_at, updated_at) "
                "VALUES ('bench', 'bench', 'x', 'operator', true, 1, 0, :now, :now) RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        caller = db.session.execute(
            text("INSERT INTO callers (phone, created_at, updated_at) VALUES ('13800138000', :now, :now) RETURNING id"),
            {"now": now},
        ).scalar_one()
        db.session.commit()
        return unit, category, user, caller


def _fill(app, total: int, due: int, runs: int) -> list[datetime]:
    """COPY ``total`` dispatched tickets and their reply deadlines; returns each run's "now"."""
    unit, category, user, caller = _fixtures(app)
    group_starts = [BASE + timedelta(hours=k) for k in range(runs)]
    far = BASE + timedelta(days=200)  # the other open tickets: nothing due for months
    starts = []
    for i in range(total):
        group = i // due if i < due * runs else None
        starts.append(group_starts[group] if group is not None else far + timedelta(seconds=i % 3600))
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            with cur.copy(f"COPY tickets ({TICKET_COLUMNS}) FROM STDIN") as copy:
                for i, start in enumerate(starts, 1):
                    copy.write_row(
                        (
                            i,
                            f"B{i:09d}",
                            1,
                            "dispatched",
                            "phone",
                            "complaint",
                            category,
                            "路灯不亮",
                            "normal",
                            caller,
                            unit,
                            user,
                            0,
                            start,
                            start,
                            start,
                            sla.add_natural(start, 22),
                        )
                    )
            with cur.copy(f"COPY deadlines ({DEADLINE_COLUMNS}) FROM STDIN") as copy:
                for i, start in enumerate(starts, 1):
                    p = sla.points(start, 22)
                    copy.write_row(
                        (
                            i,
                            "reply",
                            1,
                            unit,
                            start,
                            22.0,
                            0.0,
                            p.due_at,
                            p.warn_at,
                            p.red_at,
                            '{"name": "bench", "warn_ratio": 0.8, "red_ratio": 2.0}',
                            '{"mode": "natural"}',
                            "[]",
                            p.warn_at,
                            start,
                            start,
                        )
                    )
            cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), %s)", (total,))
            cur.execute("ANALYZE tickets")
            cur.execute("ANALYZE deadlines")
            raw.commit()
        finally:
            raw.close()
    return [start + timedelta(hours=22, minutes=1) for start in group_starts]


def _plan(app, now: datetime) -> str:
    with app.app_context():
        rows = db.session.execute(
            text(
                "EXPLAIN SELECT id FROM deadlines WHERE next_check_at < :now "
                "ORDER BY next_check_at, id LIMIT 500 FOR UPDATE SKIP LOCKED"
            ),
            {"now": now},
        ).all()
        db.session.rollback()
    return next((r[0].strip() for r in rows if "Scan" in r[0]), rows[0][0]).split("  (")[0]


def bench_size(url: str, total: int, due: int, runs: int) -> dict:
    from hotline.sla.sweep import run_sweep

    app = _app(url)
    _reset(app)
    t0 = time.perf_counter()
    run_times = _fill(app, total, due, runs)
    load = time.perf_counter() - t0
    plan = _plan(app, run_times[0])
    timings, recorded = [], []
    for now in run_times:
        with app.app_context():
            t0 = time.perf_counter()
            result = run_sweep(now)
            timings.append(time.perf_counter() - t0)
            recorded.append(result.counts()["overdue"])
            db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return {"total": total, "load": load, "timings": timings, "recorded": recorded, "plan": plan}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing PostgreSQL database (it is emptied!)")
    parser.add_argument("--sizes", default="10000,1000000", help="open tickets per case, comma-separated")
    parser.add_argument("--due", type=int, default=1000, help="deadlines due per sweep")
    parser.add_argument("--runs", type=int, default=3, help="sweeps per size (each over a fresh group of due ones)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if any(size < args.due * args.runs for size in sizes):
        parser.error("every size must hold at least due × runs tickets")

    created = args.database_url is None
    url = args.database_url or SERVER.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT") if created else None
    if created:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        results = [bench_size(url, size, args.due, args.runs) for size in sizes]
    finally:
        if created:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
            admin.dispose()

    print(f"\nDeadline sweep, {args.due} deadlines due per sweep (warning + overdue + yellow card each), PostgreSQL")
    header = f"{'open tickets':>14} | {'load (s)':>8} | {'sweeps (s)':<26} | {'median (s)':>10} | recorded"
    print(header)
    print("-" * len(header))
    for r in results:
        runs = ", ".join(f"{t:.3f}" for t in r["timings"])
        print(
            f"{r['total']:>14,} | {r['load']:>8.1f} | {runs:<26} | {statistics.median(r['timings']):>10.3f} | "
            f"{r['recorded']}"
        )
    for r in results:
        print(f"plan at {r['total']:,}: {r['plan']}")
    if len(results) > 1:
        ratio = statistics.median(results[-1]["timings"]) / statistics.median(results[0]["timings"])
        print(f"ratio largest/smallest median: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
