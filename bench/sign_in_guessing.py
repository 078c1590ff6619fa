"""A scripted guessing run against the sign-in throttle (hotline.accounts.throttle).

    .venv/bin/python bench/sign_in_guessing.py [--redis-url URL] [--hours 1]

Builds a throwaway SQLite database with a few staff accounts, then plays four attackers
through ``POST /api/v1/auth/token`` (the WSGI test client; the client address is set per
request, the clock is simulated, so an hour of waiting takes no time):

1. one address guessing one account's password, waiting exactly as long as Retry-After says;
2. one address trying one password against many usernames (real and made up);
3. 200 addresses guessing one account, one guess each, then again;
4. an attacker hammering without waiting.

During each run the real user signs in from their own desk (an address they used before)
and, for 1 and 2, from another address. Prints, per run: guesses checked, 429 answers, the
requests allowed before the first 429, the Retry-After values seen, and the real user's
answers. Counters in the database unless --redis-url (then Redis, database flushed first).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from hotline import create_app
from hotline.accounts import services as accounts
from hotline.extensions import db

PASSWORD = "right-password-2026"
STAFF = ["op1", "op2", "disp1", "sup1", "admin"]


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def wait(self, seconds: float):
        self.now += timedelta(seconds=seconds)


def build(redis_url: str | None, data_dir: str, clock: Clock):
    url = f"sqlite:///{data_dir}/guessing.sqlite3"
    config = {"HOTLINE_ENV": "development", "DATABASE_URL": url, "DATA_DIR": data_dir, "SWEEP_TIMER": False}
    app = create_app({**config, "REDIS_URL": redis_url, "CLOCK": clock})
    with app.app_context():
        upgrade()
        for name in STAFF:
            role = "admin" if name == "admin" else {"op": "operator", "di": "dispatcher", "su": "supervisor"}[name[:2]]
            accounts.create_user(actor=None, now=clock(), username=name, password=PASSWORD, role=role)
        db.session.commit()
    if redis_url:
        from hotline.core.redis import get_redis

        get_redis(app).flushdb()
    return app


def attempt(app, username, password, address):
    r = app.test_client().post(
        "/api/v1/auth/token", json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    return r.status_code, int(r.headers.get("Retry-After", 0))


class Run:
    def __init__(self, name):
        self.name, self.statuses, self.waits, self.first_429, self.user = name, Counter(), [], None, []

    def add(self, status, wait):
        self.statuses[status] += 1
        if status == 429:
            self.waits.append(wait)
            if self.first_429 is None:
                self.first_429 = sum(self.statuses.values()) - 1

    def report(self):
        waits = _runs(self.waits)
        print(f"\n{self.name}")
        total = sum(self.statuses.values())
        print(f"  requests {total}: guesses checked (401) {self.statuses[401]}, 429 {self.statuses[429]}")
        print(f"  allowed before the first 429: {self.first_429}")
        print(f"  Retry-After seen (seconds x times): {waits}")
        print(f"  the real user meanwhile: {', '.join(self.user)}")


def _runs(values):
    out, last, n = [], None, 0
    for v in [*values, None]:
        if v == last:
            n += 1
            continue
        if last is not None:
            out.append(f"{last}x{n}" if n > 1 else str(last))
        last, n = v, 1
    return " ".join(out[:24]) + (" ..." if len(out) > 24 else "")


def one_account_patient(app, clock, hours):
    run = Run(f"1. one address guesses op1's password for {hours} h, waiting as Retry-After says")
    attempt(app, "op1", PASSWORD, "10.8.0.21")  # the real user's desk, known from an earlier shift
    end = clock.now + timedelta(hours=hours)
    i = 0
    while clock.now < end:
        status, wait = attempt(app, "op1", f"guess-{i}", "203.0.113.5")
        run.add(status, wait)
        i += 1
        if status == 429:
            clock.wait(wait)
    run.user.append(f"own desk {attempt(app, 'op1', PASSWORD, '10.8.0.21')[0]}")
    run.user.append(f"a new address {attempt(app, 'op1', PASSWORD, '10.8.0.99')[0]}")
    run.user.append(f"the guessing address {attempt(app, 'op1', PASSWORD, '203.0.113.5')[0]}")
    return run


def spray(app, clock):
    run = Run("2. one address tries one password against 60 usernames (5 real, 55 made up)")
    names = STAFF + [f"user{i:02d}" for i in range(55)]
    for name in names:
        run.add(*attempt(app, name, "Password1!", "198.51.100.7"))
    run.user.append(f"op2 from another address {attempt(app, 'op2', PASSWORD, '10.8.0.22')[0]}")
    return run


def distributed(app, clock):
    run = Run("3. 200 addresses guess admin's password, one guess each, twice over (1 s apart)")
    attempt(app, "admin", PASSWORD, "10.8.0.1")  # the admin's own desk
    for round_ in range(2):
        for i in range(200):
            run.add(*attempt(app, "admin", f"guess-{round_}-{i}", f"192.0.2.{i}"))
            clock.wait(1)
    run.user.append(f"own desk {attempt(app, 'admin', PASSWORD, '10.8.0.1')[0]}")
    status, wait = attempt(app, "admin", PASSWORD, "10.8.0.250")
    run.user.append(f"a new address {status} (Retry-After {wait})")
    with app.app_context():
        user = db.session.scalar(db.select(accounts.User).where(accounts.User.username == "admin"))
        accounts.lift_sign_in_lock(user, actor=user, now=clock())
        db.session.commit()
    run.user.append(f"a new address after an admin lifts the lock {attempt(app, 'admin', PASSWORD, '10.8.0.250')[0]}")
    return run


def hammer(app, clock):
    run = Run("4. one address hammers sup1 500 times without waiting (1 request per 100 ms)")
    attempt(app, "sup1", PASSWORD, "10.8.0.3")
    for i in range(500):
        run.add(*attempt(app, "sup1", f"guess-{i}", "203.0.113.9"))
        clock.wait(0.1)
    run.user.append(f"own desk {attempt(app, 'sup1', PASSWORD, '10.8.0.3')[0]}")
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    clock = Clock()
    with tempfile.TemporaryDirectory() as data_dir:
        app = build(args.redis_url, data_dir, clock)
        print(f"sign-in throttle, counters in {'Redis' if args.redis_url else 'the database (SQLite)'}")
        for run in (one_account_patient(app, clock, args.hours), spray(app, clock), distributed(app, clock)):
            run.report()
        hammer(app, clock).report()


if __name__ == "__main__":
    main()
