"""Migrations: they build exactly the models' schema, and go down and up again."""

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from hotline import create_app
from hotline.extensions import db

from .conftest import PG_ADMIN_URL, TEST_DB, _pg_url


def _include_name(name, type_, parent_names):
    """As migrations/env.py (and so ``flask db check``): the hand-managed text index is left out."""
    from hotline.tickets.text_search import UNMANAGED_TABLES

    return type_ != "table" or not any(name == t or name.startswith(t + "_") for t in UNMANAGED_TABLES)


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _include_name})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_downgrade_to_nothing_and_upgrade_again(tmp_path, worker_id):
    from flask_migrate import downgrade, upgrade

    if TEST_DB == "postgresql":
        suffix = os.environ.get("HOTLINE_TEST_DB_SUFFIX", "")
        name = f"hotline_test_{suffix}migrations_{worker_id}".replace("-", "_")
        admin = create_engine(
            PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    else:
        url = f"sqlite:///{os.path.join(tmp_path, 'migrations.sqlite3')}"
    app = create_app({"HOTLINE_ENV": "testing", "DATABASE_URL": url, "DATA_DIR": str(tmp_path)})
    try:
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"tickets", "ticket_events", "units", "users", "callers", "categories"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == tables
            db.engine.dispose()
    finally:
        if TEST_DB == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
