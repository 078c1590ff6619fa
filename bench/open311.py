"""Open311 GeoReport v2 under load: GET requests over 90 days and POST requests, p50/p95,
beside the trivial endpoint (discovery) in the same run.

    .venv/bin/python bench/open311.py                          # bench/city.py's city (1,000,000 tickets)
    .venv/bin/python bench/open311.py --tickets 20000 --database-url postgresql://postgres@127.0.0.1/small
    .venv/bin/python bench/open311.py --as-is --database-url sqlite:////path/to/instance/hotline.sqlite3
    DATABASE_URL=postgresql://... .venv/bin/python bench/open311.py --as-is

The database: a city from bench/city.py (built or re-used), or with ``--as-is`` any
database as it is (the demo's SQLite included), migrated to the head first; "now" is then
the newest ticket's time. Requests go through the Flask test client in-process: each
GET from its own client address (the per-address limit is not what is measured), each POST
with one key whose limit is lifted for the run (its counting is still done and timed).
The POSTs add ``--posts`` tickets (status new, channel open311) to the database.

Printed: p50 and p95 in milliseconds of each measure, the rows a GET answered, and the
query plan of the 90-day GET's statement (PostgreSQL: EXPLAIN ANALYZE).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def _pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _measure(label, call, n):
    call(0)  # warm up (first compile of the statements, caches)
    times, rows = [], 0
    for i in range(n):
        start = time.perf_counter()
        rows = call(i + 1)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<52} p50 {statistics.median(times):8.1f} ms   p95 {_pct(times, 95):8.1f} ms   rows {rows}")
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--as-is", action="store_true", help="use the database as it is (no city is built)")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="the city's size when one is built")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per GET measure")
    parser.add_argument("--posts", type=int, default=30, help="timed POST requests")
    args = parser.parse_args(argv)

    if args.as_is:
        if not args.database_url:
            parser.error("--as-is needs --database-url (or DATABASE_URL)")
        url = args.database_url
    else:
        from city import build_city

        url = build_city(args.database_url, tickets=args.tickets).url

    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    import hotline.models  # noqa: F401 - every model mapped before the domain modules are imported
    from hotline import create_app
    from hotline.citizens.open311 import keys, listing, services, views
    from hotline.citizens.open311.views import Limit
    from hotline.extensions import db
    from hotline.tickets.models import Ticket

    data_dir = "/tmp/hotline-bench-open311"
    Path(data_dir).mkdir(exist_ok=True)
    base = {"HOTLINE_ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": url, "DATA_DIR": data_dir}
    probe = create_app({**base, "SWEEP_TIMER": False})
    with probe.app_context():
        upgrade(directory=str(HERE.parent / "migrations"))
        newest = db.session.scalar(select(func.max(Ticket.created_at)))
        total = db.session.scalar(select(func.count()).select_from(Ticket))
        db.session.rollback()
    now = (newest or datetime.now(UTC)) + timedelta(minutes=1)
    app = create_app({**base, "SWEEP_TIMER": False, "CLOCK": lambda: now})
    views.LIMITS_PER_KEY = tuple(Limit(limit.name, 10**9, limit.seconds) for limit in views.LIMITS_PER_KEY)
    with app.app_context():
        name = f"bench-{int(time.time())}"
        _key, raw = keys.create_key(name, actor=None, now=now)
        db.session.commit()
        start = now - timedelta(days=90)
        codes = list(  # the busiest services of the 90 days (POSTs and the service_code filter use them)
            db.session.scalars(
                text(
                    "SELECT c.code FROM tickets t JOIN categories c ON c.id = t.category_id "
                    "WHERE t.created_at >= :start AND c.is_active GROUP BY c.code ORDER BY count(*) DESC LIMIT 3"
                ),
                {"start": start},
            )
        ) or list(db.session.scalars(text("SELECT code FROM categories WHERE is_active LIMIT 3")))
        in_range = db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.created_at >= start))
        db.session.rollback()
    client = app.test_client()
    window = f"start_date={start:%Y-%m-%dT%H:%M:%SZ}&end_date={now:%Y-%m-%dT%H:%M:%SZ}"
    print(
        f"\nOpen311 on {url.split(':')[0]}: {total:,} tickets, "
        f"{in_range:,} in the 90 days to {now:%Y-%m-%d %H:%M} UTC; at most {services.MAX_REQUESTS} per answer\n"
    )

    def get(path):
        def call(i):
            r = client.get(path, environ_base={"REMOTE_ADDR": f"10.{i % 250}.{i // 250 % 250}.9"})
            assert r.status_code == 200, r.data[:300]
            return r.data.count(b'"service_request_id"') or r.data.count(b"<service_request_id>")

        return call

    def post(i):
        form = {
            "api_key": raw,
            "service_code": codes[i % len(codes)],
            "lat": "23.02",
            "long": "113.12",
            "address_string": "东湖路1号",
            "phone": f"139{i:08d}"[:11],
            "first_name": "明",
            "last_name": "王",
            "description": f"路面坑洼，第{i}件，请尽快处理。",
            "media_url": "https://img.example.com/p.jpg",
        }
        r = client.post("/open311/v2/requests.json", data=form, environ_base={"REMOTE_ADDR": "10.250.0.1"})
        assert r.status_code == 201, r.data[:300]
        return 1

    n = args.requests
    _measure("GET discovery.json (the trivial endpoint)", get("/open311/v2/discovery.json"), n)
    _measure("GET services.json", get("/open311/v2/services.json"), n)
    _measure("GET requests.json, 90 days", get(f"/open311/v2/requests.json?{window}"), n)
    _measure("GET requests.xml, 90 days", get(f"/open311/v2/requests.xml?{window}"), n)
    _measure("GET requests.json, 90 days, status=closed", get(f"/open311/v2/requests.json?{window}&status=closed"), n)
    _measure(
        f"GET requests.json, 90 days, service_code={codes[0]}",
        get(f"/open311/v2/requests.json?{window}&service_code={codes[0]}"),
        n,
    )
    _measure("GET requests.json, default range (no dates)", get("/open311/v2/requests.json"), n)
    _measure("POST requests.json", post, args.posts)
    _measure("GET discovery.json again (after the POSTs)", get("/open311/v2/discovery.json"), n)

    with app.app_context():
        query = listing.Query(start=start, end=now)
        stmt = listing.listing_statement(query)
        if db.engine.dialect.name == "postgresql":
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
            print("\nThe 90-day GET's statement (EXPLAIN ANALYZE):\n  " + "\n  ".join(plan))
        db.session.rollback()


if __name__ == "__main__":
    main()
