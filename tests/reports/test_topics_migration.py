"""Migration 0009 (hot topics): it adds its five tables, goes down to 0006 and up again."""

import os

from sqlalchemy import create_engine, inspect, text

from hotline import create_app
from hotline.extensions import db

from ..conftest import PG_ADMIN_URL, TEST_DB, _pg_url

TABLES = {"ticket_terms", "ticket_term_sets", "spikes", "spike_tickets", "hot_topic_snapshots"}


def test_0009_upgrades_and_downgrades(tmp_path, worker_id):
    from flask_migrate import downgrade, upgrade

    admin = None
    if TEST_DB == "postgresql":
        suffix = os.environ.get("HOTLINE_TEST_DB_SUFFIX", "")
        name = f"hotline_test_{suffix}topics_migration_{worker_id}".replace("-", "_")
        admin = create_engine(
            PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    else:
        url = f"sqlite:///{os.path.join(tmp_path, 'topics.sqlite3')}"
    app = create_app({"HOTLINE_ENV": "testing", "DATABASE_URL": url, "DATA_DIR": str(tmp_path)})
    try:
        with app.app_context():
            upgrade(revision="0009")
            inspector = inspect(db.engine)
            assert set(inspector.get_table_names()) >= TABLES
            indexes = {i["name"] for i in inspector.get_indexes("ticket_terms")}
            assert {"ix_ticket_terms_created_at_term", "ix_ticket_terms_term_created_at"} <= indexes
            downgrade(revision="0006")
            assert not TABLES & set(inspect(db.engine).get_table_names())
            upgrade(revision="0009")
            assert set(inspect(db.engine).get_table_names()) >= TABLES
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
