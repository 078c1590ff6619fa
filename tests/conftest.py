"""Test fixtures: the same suite on SQLite (default) and on PostgreSQL.

    HOTLINE_TEST_DB=sqlite        (default) a SQLite file per test, copied from a migrated template
    HOTLINE_TEST_DB=postgresql    a database the tests create on HOTLINE_TEST_PG_URL, migrated once,
                                  emptied between tests (ids restart at 1)
    HOTLINE_TEST_REDIS_URL        real Redis for the tests that need it (default redis://127.0.0.1:6379/15)

Both runs build their schema with the migrations (never create_all).
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.extensions import db

from .factories import World

TEST_DB = os.environ.get("HOTLINE_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Ticket numbers are made of the local day; freeze "now" so that tests are repeatable.
FROZEN_NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: only meaningful on PostgreSQL (row locks, races)")
    config.addinivalue_line("markers", "redis: needs the real Redis server")
    config.addinivalue_line("markers", "browser: drives a real headless Chromium")


def pytest_report_header(config):
    return f"hotline test database: {TEST_DB}; redis: {REDIS_URL}"


def _pg_url(name: str) -> str:
    return (
        make_url(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        .set(database=name)
        .render_as_string(hide_password=False)
    )


def _migrate(url: str, data_dir: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"HOTLINE_ENV": "testing", "DATABASE_URL": url, "DATA_DIR": data_dir})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def worker_id(request):
    """xdist's worker id ("gw0", "gw1"...), or "main" when the suite runs in one process."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def database(tmp_path_factory, worker_id):
    """Migrate a database once per test session; yields a function giving a fresh one per test."""
    data_dir = str(tmp_path_factory.mktemp("template"))
    if TEST_DB == "sqlite":
        template = os.path.join(data_dir, "template.sqlite3")
        _migrate(f"sqlite:///{template}", data_dir)

        def fresh(tmp_path):
            path = tmp_path / "hotline.sqlite3"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"

        yield fresh
        return

    if TEST_DB != "postgresql":
        raise pytest.UsageError("HOTLINE_TEST_DB must be sqlite or postgresql")
    name = f"hotline_test_{os.environ.get('HOTLINE_TEST_DB_SUFFIX', '')}{worker_id}".replace("-", "_")
    admin = create_engine(
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    _migrate(url, data_dir)
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]
        sequences = conn.scalars(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).all()
    # DELETE, not TRUNCATE: on the few rows a test leaves, TRUNCATE (new files for every
    # table and index) is far slower; tests/api on PostgreSQL ran in 3:30 instead of 5:19.
    # Replica mode skips the foreign-key checks and the audit tables' immutability
    # triggers for this clean-up.
    clear = [text(f'DELETE FROM "{t}"') for t in tables]
    restart = text("SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in sequences))

    def fresh(tmp_path):
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in clear:
                conn.execute(statement)
            conn.execute(restart)  # ids start at 1 again, as after the migration
        return url

    yield fresh
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def _no_machine_clock_outside_an_app(monkeypatch):
    """Refuse ``clock.now()`` outside an app context in tests.

    There it reads the machine's clock, not the apps' frozen one (``FROZEN_NOW``), and from
    16:00 UTC on the two fall on different local dates: a test that took "today" that way
    passed or failed with the hour of the run (it failed CI once). Now it fails every time,
    with the fix in the message.
    """
    from flask import has_app_context

    from hotline.core import clock

    app_clock = clock.now

    def now():
        if not has_app_context():
            raise AssertionError(
                "clock.now() outside an app context reads the machine's clock, not the test app's "
                "frozen one: call it inside `with app.app_context():`"
            )
        return app_clock()

    monkeypatch.setattr(clock, "now", now)


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on a fresh database; extra config overrides the defaults."""
    apps = []

    def factory(**overrides):
        config = {
            "HOTLINE_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database(tmp_path) if not apps else apps[0].config["DATABASE_URL"],
            "DATA_DIR": str(tmp_path),
            "REDIS_URL": None,
            "CLOCK": lambda: FROZEN_NOW,
            "WTF_CSRF_ENABLED": False,
            "SWEEP_TIMER": False,  # the embedded sweep thread, only where a test asks for it
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def world(app):
    """Units, categories and one user per role (see tests/factories.py)."""
    with app.app_context():
        built = World.build(app)
    return built


@pytest.fixture(scope="session")
def redis_test_url(worker_id):
    """One Redis database per xdist worker (counting down from the configured one)."""
    url = make_url(REDIS_URL.replace("redis://", "postgresql://", 1))  # reuse the URL parser
    index = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    base = int(url.database or 0)
    return REDIS_URL.rsplit("/", 1)[0] + f"/{base - index}" if base - index >= 0 else REDIS_URL


@pytest.fixture
def redis_url(redis_test_url):
    import redis

    client = redis.Redis.from_url(redis_test_url)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # the machine promises Redis; say so loudly if it is down
        pytest.fail(f"Redis is not reachable at {redis_test_url}: {exc}")
    client.flushdb()
    yield redis_test_url
    client.flushdb()
    client.close()


@pytest.fixture
def unique():
    return lambda prefix="x": f"{prefix}-{uuid.uuid4().hex[:8]}"
