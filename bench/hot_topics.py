"""Hot topics and spikes on real citizens' messages: /work/shared/data/messages/hot.jsonl.

    .venv/bin/python bench/hot_topics.py [--data PATH] [--limit 10] [--spike-every-hours 6]

Loads every message with a time (title + body as the ticket's text, the time as its
creation time, Asia/Shanghai) as a ticket into a temporary SQLite database, then prints:

1. how long writing the terms of every ticket took (what the after-intake job and the
   backfill do; once per ticket, never at request time);
2. the top topics of each month with their counts and change from the month before, and
   how long each month's ``hot_topics`` call took;
3. the spikes the periodic rule finds when it runs every --spike-every-hours hours of the
   messages' own time over the whole period (as it would have run while they came in).

What the messages do not carry is set as follows, and said in the output: each message is
its own caller (the board has no caller ids); its area is the first district or county the
text names (A3区, A7县 ...; none if it names none); there is one category. The publisher
replaced the city's and province's names with 西地省 and A市: the centre's own place names,
given as its stop words (``TOPICS_STOP_WORDS``), as a real centre would give its city's name.

The data is not part of the repository; without it the script says so and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path("/work/shared/data/messages/hot.jsonl")
SHANGHAI = ZoneInfo("Asia/Shanghai")
AREA = re.compile(r"([A-Z]\d{1,2})[区县]")
CITY_NAMES = "西地省 A市"


def load_messages(path: Path) -> list[dict]:
    messages = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if not row.get("time"):
                continue
            at = datetime.strptime(row["time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
            text = f"{row.get('title') or ''}\n{row.get('body') or ''}".strip()
            match = AREA.search(text)
            messages.append({"at": at, "text": text, "area": match.group(0) if match else None})
    messages.sort(key=lambda m: m["at"])
    return messages


def build(messages: list[dict], data_dir: str):
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from hotline import create_app
    from hotline.accounts.models import User
    from hotline.callers.models import Caller
    from hotline.categories import services as categories
    from hotline.extensions import db
    from hotline.tickets.models import Ticket
    from hotline.units import services as units
    from hotline.units.models import Unit

    app = create_app(
        {
            "HOTLINE_ENV": "development",
            "DATABASE_URL": f"sqlite:///{data_dir}/bench.sqlite3",
            "DATA_DIR": data_dir,
            "SWEEP_TIMER": False,
            "TOPICS_STOP_WORDS": CITY_NAMES,
        }
    )
    now = messages[-1]["at"]
    with app.app_context():
        upgrade()
        units.create_unit(actor=None, now=now, code="CITY", name="A市", level="city", parent_code=None)
        for name in sorted({m["area"] for m in messages if m["area"]}):
            code = name[:-1] + ("D" if name.endswith("区") else "C")
            units.create_unit(actor=None, now=now, code=code, name=name, level="district", parent_code="CITY")
        categories.create_category(actor=None, now=now, code="ALL", name="全部诉求")
        db.session.flush()
        user = User(
            username="bench", display_name="bench", password_hash="-", role="operator", is_active=True,
            session_version=1, failed_login_count=0, created_at=now, updated_at=now,
        )  # fmt: skip
        db.session.add(user)
        db.session.flush()
        area_ids = dict(db.session.execute(db.select(Unit.name, Unit.id)).all())
        category_id = db.session.scalar(db.text("SELECT id FROM categories WHERE code = 'ALL'"))
        callers = [
            {"phone": f"1{i:010d}", "name": None, "created_at": m["at"], "updated_at": m["at"]}
            for i, m in enumerate(messages)
        ]
        db.session.execute(insert(Caller), callers)
        caller_ids = dict(db.session.execute(db.select(Caller.phone, Caller.id)).all())
        rows = [
            _ticket_row(i, m, category_id, area_ids.get(m["area"]), caller_ids[f"1{i:010d}"], user.id)
            for i, m in enumerate(messages)
        ]
        db.session.execute(insert(Ticket), rows)
        db.session.commit()
    return app


def _ticket_row(i: int, m: dict, category_id: int, area_id: int | None, caller_id: int, user_id: int) -> dict:
    return {
        "number": f"B{i:08d}",
        "version": 1,
        "status": "new",
        "channel": "web",
        "request_type": "complaint",
        "category_id": category_id,
        "area_unit_id": area_id,
        "address": None,
        "content": m["text"],
        "urgency": "normal",
        "caller_id": caller_id,
        "caller_name": None,
        "created_by_id": user_id,
        "reopen_count": 0,
        "created_at": m["at"],
        "updated_at": m["at"],
    }


def scale_month(count: int, seed: int = 12345) -> None:
    """A big city's month: ``count`` tickets in June 2021 (after the real messages), each a
    copy of a random real message, with its terms copied (no segmenting again), its own
    caller and a random time; then time a month's hot topics and one spike run there."""
    import random

    from sqlalchemy import insert

    from hotline.callers.models import Caller
    from hotline.extensions import db
    from hotline.reports import topics, topics_snapshots, topics_spikes
    from hotline.tickets.models import Ticket

    rng = random.Random(seed)
    sources = db.session.execute(
        db.text("SELECT id, category_id, area_unit_id, created_by_id, content FROM tickets ORDER BY id")
    ).all()
    start = datetime(2021, 6, 1, tzinfo=SHANGHAI)
    t0 = time.perf_counter()
    for first in range(0, count, 5000):
        batch = range(first, min(first + 5000, count))
        moments = {i: start + timedelta(seconds=rng.randrange(30 * 86400)) for i in batch}
        db.session.execute(
            insert(Caller),
            [{"phone": f"2{i:010d}", "name": None, "created_at": moments[i], "updated_at": moments[i]} for i in batch],
        )
        callers = dict(
            db.session.execute(
                db.select(Caller.phone, Caller.id).where(Caller.phone.in_([f"2{i:010d}" for i in batch]))
            ).all()
        )
        rows = []
        for i in batch:
            src = rng.choice(sources)
            row = _ticket_row(i, {"text": src.content, "at": moments[i]}, src.category_id, src.area_unit_id, 0, 0)
            row.update(number=f"S{i:08d}", caller_id=callers[f"2{i:010d}"], created_by_id=src.created_by_id)
            row["address"] = f"src:{src.id}"
            rows.append(row)
        db.session.execute(insert(Ticket), rows)
    db.session.execute(
        db.text(
            "INSERT INTO ticket_term_sets (ticket_id, version, term_count, analysed_at) "
            "SELECT t.id, s.version, s.term_count, s.analysed_at FROM tickets t "
            "JOIN ticket_term_sets s ON s.ticket_id = CAST(substr(t.address, 5) AS INTEGER) "
            "WHERE t.number LIKE 'S%'"
        )
    )
    db.session.execute(
        db.text(
            "INSERT INTO ticket_terms (ticket_id, term, weight, created_at, category_id, area_unit_id, caller_id) "
            "SELECT t.id, x.term, x.weight, t.created_at, t.category_id, t.area_unit_id, t.caller_id FROM tickets t "
            "JOIN ticket_terms x ON x.ticket_id = CAST(substr(t.address, 5) AS INTEGER) WHERE t.number LIKE 'S%'"
        )
    )
    db.session.commit()
    terms = db.session.scalar(db.text("SELECT count(*) FROM ticket_terms WHERE created_at >= '2021-05-31'"))
    print(f"\na big city's month: {count} tickets in 2021-06 (copies of the messages), {terms} term rows, "
          f"made in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    period = topics.month_period("2021-06", "Asia/Shanghai")
    t0 = time.perf_counter()
    floor = db.session.execute(
        db.select(Ticket.area_unit_id, db.func.count())
        .where(Ticket.created_at >= period.start, Ticket.created_at < period.end)
        .group_by(Ticket.area_unit_id)
    ).all()
    floor_ms = (time.perf_counter() - t0) * 1000
    print(f"  floor: one GROUP BY area over the month's tickets: {floor_ms:.0f} ms ({len(floor)} groups)")
    for attempt in (1, 2):
        t0 = time.perf_counter()
        found = topics.hot_topics(period, now=period.end + timedelta(days=1), limit=10)
        print(f"  hot_topics, run {attempt}: {(time.perf_counter() - t0) * 1000:.0f} ms, top: "
              + "; ".join(f"{t['label']} {t['count']}" for t in found[:3]))  # fmt: skip
    t0 = time.perf_counter()
    topics_snapshots.store(period, now=period.end + timedelta(days=1))
    db.session.commit()
    print(f"  the hourly job stores the closed month's topics: {(time.perf_counter() - t0) * 1000:.0f} ms")
    for attempt in (1, 2):
        t0 = time.perf_counter()
        again = topics.hot_topics(period, now=period.end + timedelta(days=1), limit=10)
        print(f"  hot_topics from the snapshot, run {attempt}: {(time.perf_counter() - t0) * 1000:.0f} ms "
              f"(same result: {again == found})")  # fmt: skip
    t0 = time.perf_counter()
    topics_spikes.detect(now=period.end - timedelta(hours=1))
    db.session.rollback()
    print(
        f"  one spike run at the month's end (72 h window, 28-day baseline): {(time.perf_counter() - t0) * 1000:.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=10, help="topics per month")
    parser.add_argument("--spike-every-hours", type=int, default=6)
    parser.add_argument("--scale", type=int, default=80000, help="tickets in the big city's month (0: skip)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"The messages are not here: {args.data} is absent. Nothing measured.", file=sys.stderr)
        return 2

    from hotline.core import clock
    from hotline.extensions import db
    from hotline.reports import topics, topics_spikes, topics_terms
    from hotline.reports.topics_models import Spike, SpikeTicket

    started = time.perf_counter()
    messages = load_messages(args.data)
    with_area = sum(1 for m in messages if m["area"])
    print(f"messages with a time: {len(messages)} ({with_area} name a district or county, used as the area)")
    print(f"assumptions: one caller per message; one category; stop words for the disguised names: {CITY_NAMES}")
    with tempfile.TemporaryDirectory(prefix="hotline-bench-topics-") as data_dir:
        t0 = time.perf_counter()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        app = build(messages, data_dir)
        for name in ("alembic", "hotline", "knowledge_base"):  # the figures only
            logging.getLogger(name).setLevel(logging.WARNING)
        print(f"loaded as tickets into a temporary SQLite database in {time.perf_counter() - t0:.1f} s")
        with app.app_context():
            t0 = time.perf_counter()
            done = topics_terms.backfill(now=clock.now(), limit=len(messages) + 1)
            db.session.commit()
            spent = time.perf_counter() - t0
            chars = sum(len(m["text"]) for m in messages)
            print(
                f"terms written for {done} tickets in {spent:.1f} s "
                f"({spent / max(done, 1) * 1000:.1f} ms a ticket, {chars / spent / 1e6:.2f} M characters/s; "
                "once per ticket, after intake)"
            )
            months = sorted(Counter(m["at"].astimezone(SHANGHAI).strftime("%Y-%m") for m in messages).items())
            for month, count in months:
                if count < 20:
                    continue
                period = topics.month_period(month, "Asia/Shanghai")
                t0 = time.perf_counter()
                found = topics.hot_topics(period, now=period.end + timedelta(days=1), limit=args.limit)
                ms = (time.perf_counter() - t0) * 1000
                print(f"\n{month}: {count} tickets, hot_topics {ms:.0f} ms")
                for rank, topic in enumerate(found, 1):
                    areas = "、".join(f"{a['code']} {a['count']}" for a in topic["areas"][:2]) or "-"
                    print(
                        f"  {rank:>2}. {topic['count']:>3} ({topic['change']:+d})  {topic['label']}"
                        f"  [{' '.join(topic['keywords'])}]  areas: {areas}"
                    )
            print(f"\nspikes: the rule run every {args.spike_every_hours} h of the messages' time", end="")
            print(
                f" ({topics_spikes.MIN_CALLERS}+ distinct callers in {topics_spikes.WINDOW_HOURS} h in one area or "
                f"category, at least {topics_spikes.RATIO:g}x the expected number and at most "
                f"{topics_spikes.SURPRISE:g} likely by chance)"
            )
            t0 = time.perf_counter()
            runs = 0
            busy = [month for month, count in months if count >= 20]
            first = datetime.strptime(busy[0], "%Y-%m").replace(tzinfo=SHANGHAI) if busy else messages[0]["at"]
            at = first  # from the first month with messages every day (2017-2018 hold a handful)
            while at <= messages[-1]["at"] + timedelta(hours=topics_spikes.WINDOW_HOURS):
                topics_spikes.detect(now=at)
                db.session.commit()
                runs += 1
                at += timedelta(hours=args.spike_every_hours)
            spent = time.perf_counter() - t0
            print(f"{runs} runs in {spent:.1f} s ({spent / runs * 1000:.0f} ms a run); spikes found:")
            spikes = db.session.scalars(db.select(Spike).order_by(Spike.first_at)).all()
            names = dict(db.session.execute(db.text("SELECT id, name FROM units")).all())
            for spike in spikes:
                tickets = db.session.scalar(
                    db.select(db.func.count()).select_from(SpikeTicket).where(SpikeTicket.spike_id == spike.id)
                )
                where = f"area {names[spike.area_unit_id]}" if spike.area_unit_id else "city-wide (the one category)"
                print(
                    f"  {spike.first_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} → "
                    f"{spike.last_at.astimezone(SHANGHAI):%m-%d %H:%M}  {where}  {spike.label}  "
                    f"callers {spike.callers} (expected {spike.baseline:.1f}), {tickets} tickets"
                )
            if not spikes:
                print("  none")
            if args.scale:
                scale_month(args.scale)
    print(f"\ntotal time: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
