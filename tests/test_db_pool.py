"""PostgreSQL's connection pool: idle connections are pinged before use, busy ones are not."""

import time

import pytest
from sqlalchemy import create_engine, text

from hotline.core import db as core_db
from hotline.extensions import db

from .conftest import PG_ADMIN_URL, TEST_DB

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgresql", reason="a PostgreSQL connection pool; the PostgreSQL run of the suite runs these"
)


def _pooled_backend(app) -> int:
    """Check a connection out, note its server process, and put it back in the pool."""
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def _terminate(pid: int) -> None:
    """Kill a server process, as a restart or a firewall dropping the connection would."""
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
            for _ in range(100):
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                    break
                time.sleep(0.02)
    finally:
        admin.dispose()


def _count_pings(app, monkeypatch) -> list:
    pings = []
    with app.app_context():
        dialect = db.engine.dialect
    real = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    return pings


def test_no_ping_on_every_checkout(app):
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_a_connection_used_moments_ago_is_not_pinged(app, monkeypatch):
    pings = _count_pings(app, monkeypatch)
    for _ in range(5):
        _pooled_backend(app)
    assert pings == []
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 0.0)
    time.sleep(0.01)
    _pooled_backend(app)
    assert pings == [1]  # idle longer than the threshold: pinged once, found alive


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(app, world, monkeypatch):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['operator']}"}
    dead = _pooled_backend(app)
    _terminate(dead)
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 0.0)
    pings = _count_pings(app, monkeypatch)

    r = client.get("/api/v1/units", headers=headers)

    assert r.status_code == 200 and r.json
    assert pings  # the dead connection failed its ping and a new one served the request
    assert _pooled_backend(app) != dead


def test_without_the_idle_ping_a_dropped_connection_fails_the_request(app, world, monkeypatch):
    """The counter-test: what the ping above prevents."""
    client = app.test_client()
    token = world.tokens["operator"]
    _terminate(_pooled_backend(app))
    monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 3600.0)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})

    assert r.status_code >= 500
    # SQLAlchemy throws the pool's connections away on a disconnect: the next request works.
    assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code == 200
