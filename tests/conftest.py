"""Test fixtures: the same suite on SQLite (default) and on PostgreSQL.

    HOTLINE_TEST_DB=sqlite        (default) a SQLite file per test, copied from a migrated template
    HOTLINE_TEST_DB=postgresql    a database the tests create on HOTLINE_TEST_PG_URL, migrated once,
                                  emptied between tests and refilled with the template's rows
    HOTLINE_TEST_REDIS_URL        real Redis for the tests that need it (default redis://127.0.0.1:6379/15)

Both runs build their schema with the migrations (never create_all). The world (units,
categories, a user per role) and the demo city are built once per session into templates
that the tests copy (see _Templates). Tests marked ``any_database`` run on SQLite only, and
the PostgreSQL run keeps only what the dialect decides (BOTH_DATABASES, POSTGRESQL_ALSO).
"""

from __future__ import annotations

import os
import shutil
import types
import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline import create_app
from hotline.extensions import db

from .factories import World

TEST_DB = os.environ.get("HOTLINE_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Property tests judge their examples, not the machine's speed: a loaded CI machine made
# hypothesis's generation-speed health check fail a phone-number test once.
settings.register_profile("hotline", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hotline")

# Ticket numbers are made of the local day; freeze "now" so that tests are repeatable.
FROZEN_NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _share_url_builders() -> None:
    """Compile each URL rule's builder once per process, not once per app.

    Werkzeug compiles two Python functions (through ``ast`` and ``compile``) for every URL
    rule it binds to a map: with some 230 rules that was 4/5 of ``create_app`` (about 55 of
    70 ms of CPU), and the suite builds an app for nearly every test. A builder's code
    depends only on what the key below holds (the rule, its parts, the defaults that
    replace its variables); it reaches the rule's converters through its ``self`` argument,
    and each rule binds the shared function to itself, as werkzeug does with a new one.
    The product builds one app per process and does not need this.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def shared_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (
            append_unknown,
            self.rule,
            tuple(self._trace),
            tuple((k, self._converters[k].to_url(v) if k in self._converters else None) for k, v in defaults.items()),
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = shared_builder


_share_url_builders()


class _SharedTemplateCode(BytecodeCache):
    """Jinja's bytecode cache, in memory: each template is compiled once per process.

    Every app has its own Jinja environment, and so compiled every template it rendered
    again (a few per page test). A template's code depends on its source (the bucket's
    checksum) and on the environment's settings, which every app of the suite shares.
    """

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        checksum, code = self.code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = (bucket.checksum, bucket.code)


def _share_template_code() -> None:
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedTemplateCode()}


_share_template_code()


def _share_compiled_statements() -> None:
    """One SQL statement cache for every engine of a process whose dialect is configured alike.

    SQLAlchemy caches compiled statements per engine, keyed by the dialect object; the suite
    makes an engine per app (per test), so each test compiled its statements afresh. The
    engines' dialects differ only by identity here: the key's dialect is replaced by the
    dialect's class and settings (after its first connection), so engines on the same kind
    of database share the compiled statements, as one engine's connections do.
    """
    import weakref

    from sqlalchemy import event
    from sqlalchemy.engine import Dialect, Engine
    from sqlalchemy.util import LRUCache

    signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    # Values that can decide how a statement compiles or binds; per-instance helpers built
    # from them (the identifier preparer, type compiler, type memos, psycopg's adapters) are not.
    simple = (str, int, float, bool, type(None), tuple, type(os), types.FunctionType, types.BuiltinFunctionType)

    def signature(dialect):
        found = signatures.get(dialect)
        if found is None:
            settings_ = tuple(
                sorted((k, v) for k, v in vars(dialect).items() if isinstance(v, simple) and k != "_ischema")
            )
            found = signatures[dialect] = (type(dialect), settings_)
        return found

    class SharedCache:
        def __init__(self):
            self.cache = LRUCache(5000)

        @staticmethod
        def _key(key):
            if isinstance(key, tuple) and key and isinstance(key[0], Dialect):
                return (signature(key[0]), *key[1:])
            return key

        def get(self, key, default=None):
            return self.cache.get(self._key(key), default)

        def __setitem__(self, key, value):
            self.cache[self._key(key)] = value

        def clear(self):
            self.cache.clear()

        def __len__(self):
            return len(self.cache)

    shared = SharedCache()

    @event.listens_for(Engine, "engine_connect")
    def _shared_cache(connection):
        engine = connection.engine
        if engine._compiled_cache is not None and engine._compiled_cache is not shared:
            engine._compiled_cache = shared


_share_compiled_statements()


# Tests there check what the database itself does (races, locks, migrations, constraints,
# deadlines, supervision, reports, concurrency): they run on both databases, whatever
# they are marked.
BOTH_DATABASES = (
    "tests/sla/",
    # e-supervision: cases, cards, deliveries, the rq jobs (not its admin pages and CLI, nor
    # the SMS and e-mail channels' transports: the same code on both dialects)
    "tests/esup/test_cases.py",
    "tests/esup/test_cards.py",
    "tests/esup/test_connector.py",
    "tests/esup/test_jobs_rq.py",
    "tests/esup/test_merged_duplicates.py",
    "tests/esup/test_notifications.py",
    "tests/esup/test_rectification_watch.py",
    "tests/reports/",
    "tests/test_concurrency.py",
    "tests/test_migrations.py",
    "tests/test_db_rows.py",
    "tests/test_db_pool.py",
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "any_database: does not depend on the database's dialect (permissions, pages, pure logic): "
        "the SQLite run checks it, the PostgreSQL run leaves it out (HOTLINE_TEST_ALL_DIALECTS=1 keeps it)",
    )
    config.addinivalue_line("markers", "postgresql: only meaningful on PostgreSQL (row locks, races)")
    config.addinivalue_line("markers", "redis: needs the real Redis server")
    config.addinivalue_line("markers", "browser: drives a real headless Chromium")


# Beyond those, the PostgreSQL run keeps the files whose subject is what the dialect decides:
# ticket numbers and upserts, row versions and locks, full-text search (tsvector against
# FTS5), time-zone arithmetic in SQL, vectors and models in binary columns, commit order,
# pg_dump. The rest (pages, permissions, validation, pure logic) is the same code on both
# dialects and runs on SQLite only; a NUL byte reaching the database fails on SQLite too
# (see _refuse_nul_like_postgresql).
POSTGRESQL_ALSO = (
    "tests/api/test_lifecycle.py",
    "tests/api/test_create.py",
    "tests/api/test_ticket_search.py",
    "tests/api/test_visibility.py",
    "tests/api/test_auth.py",
    "tests/api/test_statement_budget.py",
    "tests/api/test_query_counts.py",
    "tests/api/test_collections_known.py",
    "tests/kb/test_semantic.py",
    "tests/kb/test_semantic_readiness.py",
    "tests/kb/test_index_catch_up.py",
    "tests/open311/",
    "tests/attachments/",
    "tests/routing/test_import_history.py",
    "tests/routing/test_suggestions.py",
    "tests/routing/test_duplicates.py",
    "tests/routing/test_catalogue.py",
    "tests/routing/test_group_dispatch.py",
    "tests/test_webform.py",
    "tests/test_progress.py",
    "tests/test_backup.py",
    "tests/test_several_hosts.py",
)


def pytest_collection_modifyitems(config, items):
    root = str(config.rootpath) + os.sep
    wheres = {}
    for item in items:
        where = str(item.path).removeprefix(root).replace(os.sep, "/")
        wheres[item.nodeid] = where
        if item.get_closest_marker("any_database") and where.startswith(BOTH_DATABASES):
            raise pytest.UsageError(f"{item.nodeid}: tests in {where.split('/')[1]} run on both databases")
    if TEST_DB == "sqlite" or os.environ.get("HOTLINE_TEST_ALL_DIALECTS") == "1":
        return

    def on_postgresql(item) -> bool:
        if item.get_closest_marker("any_database"):
            return False
        where = wheres[item.nodeid]
        return where.startswith(BOTH_DATABASES + POSTGRESQL_ALSO) or item.get_closest_marker("postgresql") is not None

    kept = [item for item in items if on_postgresql(item)]
    left_out = [item for item in items if not on_postgresql(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


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


class _Templates:
    """Databases in a known state, built once per test session and copied for each test.

    ``"empty"`` is the migrated schema; other templates are built on demand by a builder
    (``builder(app)`` fills the database and returns a record the tests need, such as the
    world's user ids and tokens). ``fresh(tmp_path, name)`` gives a test its own database
    in that state; ``restore(app, name)`` puts an app's database back into it.
    """

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.records: dict[str, object] = {}
        self.files: dict[str, str] = {}  # template → a folder copied into each test's DATA_DIR

    def __call__(self, tmp_path, name: str = "empty") -> str:  # the original fixture's call
        return self.fresh(tmp_path, name)

    def config(self, url: str, data_dir: str, **overrides) -> dict:
        config = {
            "HOTLINE_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "DATA_DIR": data_dir,
            "REDIS_URL": None,
            "CLOCK": lambda: FROZEN_NOW,
            "WTF_CSRF_ENABLED": False,
            "SWEEP_TIMER": False,  # the embedded sweep thread, only where a test asks for it
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # cheap: the suite signs in thousands of times
        }
        config.update(overrides)
        return config

    def ensure(self, name: str, builder=None, *, base: str = "empty", **config) -> object:
        """Build template ``name`` once with ``builder(app)``, starting from template ``base``
        (which must exist); returns the builder's record."""
        if name not in self.records:
            files = os.path.join(self.data_dir, f"files-{name}")
            shutil.rmtree(files, ignore_errors=True)  # left by a build that failed
            if base in self.files:
                shutil.copytree(self.files[base], files)
            else:
                os.makedirs(files)
            url = self._start_build(name, base)
            app = create_app(self.config(url, files, **config))
            with app.app_context():
                record = builder(app)
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
            self._finish_build(name, url)
            self.records[name] = record
            self.files[name] = files
        return self.records[name]

    def fresh(self, tmp_path, name: str = "empty") -> str:
        if name in self.files:
            shutil.copytree(self.files[name], tmp_path, dirs_exist_ok=True)
        return self._fresh(tmp_path, name)

    def restore(self, app, name: str) -> None:
        """Put ``app``'s database (and its knowledge-base index) back into template ``name``."""
        with app.app_context():
            db.session.remove()
            self._restore(app, name)
        for key in ("kb_index", "kb_index_sync", "kb_vectors", "kb_rebuild_requested_at"):
            app.extensions.pop(key, None)
        shutil.rmtree(os.path.join(app.config["DATA_DIR"], "kb_index"), ignore_errors=True)
        if name in self.files:
            shutil.copytree(self.files[name], app.config["DATA_DIR"], dirs_exist_ok=True)

    def save(self, app, name: str) -> None:
        """Make ``app``'s database as it is now (and its knowledge-base index) template ``name``."""
        files = os.path.join(self.data_dir, f"files-{name}")
        shutil.rmtree(files, ignore_errors=True)
        index = os.path.join(app.config["DATA_DIR"], "kb_index")
        if os.path.isdir(index):
            shutil.copytree(index, os.path.join(files, "kb_index"))
        else:
            os.makedirs(files)
        with app.app_context():
            db.session.remove()
            self._save(app, name)
        self.files[name] = files
        self.records[name] = None


class _SqliteTemplates(_Templates):
    """A template is a database file; a test gets a copy of it."""

    def __init__(self, data_dir: str):
        super().__init__(data_dir)
        self.paths = {"empty": os.path.join(data_dir, "template-empty.sqlite3")}
        _migrate(f"sqlite:///{self.paths['empty']}", data_dir)
        self.records["empty"] = None

    def _start_build(self, name, base):
        self.paths[name] = os.path.join(self.data_dir, f"template-{name}.sqlite3")
        shutil.copyfile(self.paths[base], self.paths[name])
        return f"sqlite:///{self.paths[name]}"

    def _finish_build(self, name, url):
        pass  # the engine was disposed: the file holds everything (WAL checkpointed)

    def _save(self, app, name):
        db.engine.dispose()  # the WAL is checkpointed into the file
        self.paths[name] = os.path.join(self.data_dir, f"template-{name}.sqlite3")
        shutil.copyfile(make_url(app.config["DATABASE_URL"]).database, self.paths[name])

    def _fresh(self, tmp_path, name):
        path = os.path.join(tmp_path, "hotline.sqlite3")
        shutil.copyfile(self.paths[name], path)
        return f"sqlite:///{path}"

    def _restore(self, app, name):
        db.engine.dispose()  # no connection holds the old file open
        path = make_url(app.config["DATABASE_URL"]).database
        for leftover in (f"{path}-wal", f"{path}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        shutil.copyfile(self.paths[name], path)


class _PostgresTemplates(_Templates):
    """One database per worker; a template is a snapshot of its rows (COPY) and sequences.

    A test's database is the worker's database emptied with DELETE (not TRUNCATE: on the
    few rows a test leaves, TRUNCATE's new files for every table and index are far slower)
    and refilled with the template's rows. Replica mode skips the foreign-key checks and
    the audit tables' immutability triggers for this clean-up.
    """

    def __init__(self, data_dir: str, worker_id: str):
        super().__init__(data_dir)
        self.name = f"hotline_test_{os.environ.get('HOTLINE_TEST_DB_SUFFIX', '')}{worker_id}".replace("-", "_")
        self.admin = create_engine(
            PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = _pg_url(self.name)
        _migrate(self.url, data_dir)
        self.engine = create_engine(self.url)
        with self.engine.connect() as conn:
            self.tables = conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).all()
            self.sequences = conn.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).all()
        self.snapshots = {"empty": ({}, {s: (1, False) for s in self.sequences})}
        self.records["empty"] = None

    def close(self):
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()

    def _load(self, name):
        rows, sequences = self.snapshots[name]
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in self.tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            cursor = conn.connection.driver_connection.cursor()
            for table, data in rows.items():
                with cursor.copy(f'COPY "{table}" FROM STDIN') as copy:
                    copy.write(data)
            conn.execute(text("SELECT " + ", ".join(f"setval('\"{s}\"', {v}, {c})" for s, (v, c) in sequences.items())))

    def _start_build(self, name, base):
        self._load(base)
        return self.url

    def _save(self, app, name):
        self._finish_build(name, self.url)

    def _finish_build(self, name, url):
        rows = {}
        with self.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for table in self.tables:
                data = bytearray()
                with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                    for block in copy:
                        data += block
                if data:
                    rows[table] = bytes(data)
            sequences = {
                s: tuple(conn.execute(text(f'SELECT last_value, is_called FROM "{s}"')).one()) for s in self.sequences
            }
        self.snapshots[name] = (rows, sequences)

    def _fresh(self, tmp_path, name):
        self._load(name)
        return self.url

    def _restore(self, app, name):
        self._load(name)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul_like_postgresql(conn, cursor, statement, parameters, context, executemany):
    """PostgreSQL refuses a NUL byte in text (the request then fails with a 500); SQLite
    stores it. On SQLite the tests refuse it too, so that a NUL that reaches the database
    fails on both runs (tests/test_nul_bytes.py runs on SQLite only)."""
    if _has_nul(parameters):
        raise ValueError("a NUL character in a string sent to the database (PostgreSQL refuses it)")


@pytest.fixture(scope="session")
def database(tmp_path_factory, worker_id):
    """Migrate a database once per test session; ``database(tmp_path, template)`` gives each
    test a fresh one in a template's state (see _Templates)."""
    data_dir = str(tmp_path_factory.mktemp("template"))
    if TEST_DB == "sqlite":
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", _refuse_nul_like_postgresql)
        yield _SqliteTemplates(data_dir)
        event.remove(Engine, "before_cursor_execute", _refuse_nul_like_postgresql)
        return
    if TEST_DB != "postgresql":
        raise pytest.UsageError("HOTLINE_TEST_DB must be sqlite or postgresql")
    templates = _PostgresTemplates(data_dir, worker_id)
    yield templates
    templates.close()


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


def _build_world(app):
    built = World.build(app)
    return dict(built.user_ids), dict(built.tokens)


@pytest.fixture
def make_app(database, tmp_path, request):
    """Build an app on a fresh database; extra config overrides the defaults.

    The first app's database starts from ``template``: by default the world's (see the
    ``world`` fixture) when the test uses the world, else the empty migrated schema. Later
    apps of the same test share the first one's database.
    """
    apps = []

    def factory(template: str | None = None, **overrides):
        if apps:
            url = apps[0].config["DATABASE_URL"]
        else:
            template = template or ("world" if "world" in request.fixturenames else "empty")
            if template == "world":
                database.ensure("world", _build_world)
            url = database.fresh(tmp_path, template)
        app = create_app(database.config(url, str(tmp_path), **overrides))
        apps.append(app)
        return app

    yield factory
    from knowledge_base.indexing import join_background

    for app in apps:
        join_background(app)  # a catch-up or rebuild thread still holding a connection
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


def world_on(app, database) -> World:
    """The world of an app whose database was copied from the "world" template."""
    user_ids, tokens = database.records["world"]
    return World(app, dict(user_ids), dict(tokens))


@pytest.fixture
def world(app, database):
    """Units, categories and one user per role (see tests/factories.py), built once per
    session into the "world" template that the test's database is copied from."""
    return world_on(app, database)


def _seed_demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def demo(make_app, database):
    """``(app, output)``: an app (development settings) on a copy of the demo city, and what
    its first ``flask demo seed`` printed. The demo is seeded once per session into the
    "demo" template (database and knowledge-base index); each test gets its own copy."""
    output = database.ensure("demo", _seed_demo, HOTLINE_ENV="development")
    return make_app("demo", HOTLINE_ENV="development"), output


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


def pytest_terminal_summary(terminalreporter):
    """How many requests the contract run (tests/api/test_contract.py) generated."""
    requests = sum(
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == "contract_request" and getattr(report, "when", "") == "call"
    )
    if requests:
        terminalreporter.write_line(f"contract: {requests} requests generated from the OpenAPI document")
