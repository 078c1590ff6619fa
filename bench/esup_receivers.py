"""What notifications and e-supervision add to each deadline the sweep records.

For N dispatched tickets, sends ``deadline_reached`` (kind "overdue", then "red") once
per ticket in one transaction, as the sweep will, and times it, commit included. Each
overdue signal records a yellow card, opens a supervision case, freezes two documents
for the e-supervision system, and records messages to the unit and the supervisors;
after the commit the messages are delivered (embedded mode: inline, outbox channel).
Then sends every signal again (a sweep running twice) and times that too: nothing is
recorded the second time.

    .venv/bin/python bench/esup_receivers.py [N]       (default N = 300)

Runs on SQLite (a temporary file) and on PostgreSQL (a database it creates and drops,
hotline_bench_esup, on HOTLINE_BENCH_PG_URL or postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text

from hotline import create_app
from hotline.core import signals
from hotline.extensions import db

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("HOTLINE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Deadline:
    id: int
    kind: str
    due_at: datetime


def _app(url: str, data_dir: str):
    from flask_migrate import upgrade

    app = create_app(
        {"HOTLINE_ENV": "testing", "DATABASE_URL": url, "DATA_DIR": data_dir, "REDIS_URL": None, "CLOCK": lambda: NOW}
    )
    with app.app_context():
        upgrade()
    return app


def _world(app, n: int) -> list[int]:
    from hotline.accounts import services as accounts
    from hotline.categories import services as categories
    from hotline.tickets import services as tickets
    from hotline.units import services as units

    with app.app_context():
        units.create_unit(actor=None, now=NOW, code="CITY", name="市政府", level="city")
        units.create_unit(actor=None, now=NOW, code="DEPT", name="市人社局", level="city", parent_code="CITY")
        categories.create_category(actor=None, now=NOW, code="SOC", name="社会保障", default_lead_unit="DEPT")
        for name, role in (("op", "operator"), ("disp", "dispatcher"), ("sup1", "supervisor"), ("sup2", "supervisor")):
            accounts.create_user(actor=None, now=NOW, username=name, password="bench-password-1", role=role)
        db.session.commit()
        op = accounts_user("op")
        disp = accounts_user("disp")
        ids = []
        for i in range(n):
            ticket, _ = tickets.create(
                actor=op,
                now=NOW,
                data=tickets.NewTicket(
                    caller_phone=f"139{i:08d}", request_type="consultation", category="SOC", content=f"咨询 {i}"
                ),
            )
            tickets.submit(ticket, actor=op, now=NOW)
            tickets.dispatch(ticket, actor=disp, now=NOW)
            ids.append(ticket.id)
            if i % 100 == 99:
                db.session.commit()
        db.session.commit()
        return ids


def accounts_user(name):
    from hotline.accounts import queries

    return queries.get_by_username(name)


def _sweep(app, ids: list[int], kind: str) -> tuple[float, float]:
    from hotline.tickets.models import Ticket

    with app.app_context():
        tickets = list(db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
        start = time.perf_counter()
        for ticket in tickets:
            deadline = Deadline(ticket.id, "reply", ticket.reply_due_at)
            signals.deadline_reached.send(
                deadline, ticket=ticket, kind=kind, unit_id=ticket.lead_unit_id, now=NOW + timedelta(hours=23)
            )
        db.session.flush()
        recorded = time.perf_counter()
        db.session.commit()  # after the commit: the messages' delivery jobs (inline here)
        return recorded - start, time.perf_counter() - recorded


def _counts(app) -> str:
    from hotline.notifications.models import Notification
    from hotline.supervision.models import Card, EsupDelivery, SupervisionCase

    with app.app_context():
        c = {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Card, SupervisionCase, EsupDelivery, Notification)
        }
    return ", ".join(f"{k} {v}" for k, v in c.items())


def run(label: str, url: str, data_dir: str, n: int) -> list[str]:
    app = _app(url, data_dir)
    ids = _world(app, n)
    base = _counts(app)
    rows = []
    for kind in ("overdue", "red"):
        first, delivered = _sweep(app, ids, kind)
        again, _ = _sweep(app, ids, kind)
        rows.append(
            f"{label:<11} {kind:<8} {n:>5}  record {1000 * first / n:6.2f} ms/signal   "
            f"deliver inline {1000 * delivered / n:6.2f} ms/signal   again {1000 * again / n:5.2f} ms/signal"
        )
    rows.append(f"{label:<11} before: {base}")
    rows.append(f"{label:<11} after:  {_counts(app)}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return rows


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += run("sqlite", f"sqlite:///{tmp}/bench.sqlite3", tmp, n)
        admin = create_engine(
            PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        name = "hotline_bench_esup"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            results += run("postgresql", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", tmp, n)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(
        f"deadline_reached receivers, {n} tickets, 2 supervisors, one transaction per pass. record: in the "
        "sweep's transaction; deliver inline: after its commit, embedded mode only (with Redis: rq jobs); "
        "again: the same signals a second time (nothing recorded)"
    )
    for row in results:
        print(row)


if __name__ == "__main__":
    main()
