"""The app's frame: config, health, OpenAPI, errors, security headers, immutability."""

import pytest
from sqlalchemy import text

from hotline import ConfigError, create_app
from hotline.extensions import db
from hotline.tickets.models import TicketEvent
from tests import route_guard


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="HOTLINE_SECRET_KEY"):
        create_app({"HOTLINE_ENV": "production", "DATA_DIR": str(tmp_path)})
    app = create_app({"HOTLINE_ENV": "production", "DATA_DIR": str(tmp_path), "SECRET_KEY": "s3cret"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_configuration_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_ENV", "development")
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql://u@db.example/hotline")
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://cache.example:6379/2")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/hotline"
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"
    assert (tmp_path / "data").is_dir()
    monkeypatch.delenv("HOTLINE_DATABASE_URL")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'data' / 'hotline.sqlite3'}"
    monkeypatch.setenv("HOTLINE_ENV", "staging")
    with pytest.raises(ConfigError):
        create_app()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOTLINE_KB_SEMANTIC", "maybe"),
        ("HOTLINE_KB_VECTOR_REFRESH_SECONDS", "soon"),
        ("HOTLINE_KB_SEMANTIC_BUDGET_MS", "short"),
        ("HOTLINE_KB_WORKER_NICE", "low"),
        ("HOTLINE_KB_WARM_UP", "maybe"),
        ("HOTLINE_KB_ENGINE", "fastest"),
        ("HOTLINE_SETTINGS_CACHE_SECONDS", "-1"),
        ("HOTLINE_SETTINGS_CACHE_SECONDS", "half a minute"),
        ("HOTLINE_INLINE_JOBS_BACKGROUND", "sometimes"),
    ],
)
def test_a_bad_semantic_search_setting_is_refused_by_name(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        create_app({"HOTLINE_ENV": "development", "DATA_DIR": str(tmp_path)})


def test_semantic_search_settings(monkeypatch, tmp_path):
    config = {"HOTLINE_ENV": "development", "DATA_DIR": str(tmp_path)}
    assert create_app(config).config["KB_SEMANTIC"] is True  # on outside tests
    assert create_app({**config, "HOTLINE_ENV": "testing"}).config["KB_SEMANTIC"] is False
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC", "off")
    monkeypatch.setenv("HOTLINE_KB_VECTOR_REFRESH_SECONDS", "0.5")
    app = create_app(config)
    assert app.config["KB_SEMANTIC"] is False and app.config["KB_VECTOR_REFRESH_SECONDS"] == 0.5
    defaults = create_app({**config, "HOTLINE_ENV": "testing"}).config
    assert (defaults["KB_SEMANTIC_BUDGET_MS"], defaults["KB_WORKER_NICE"], defaults["KB_WARM_UP"]) == (25.0, 10, False)
    assert app.config["KB_WARM_UP"] is True  # outside tests, web processes warm up
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC_BUDGET_MS", "40")
    monkeypatch.setenv("HOTLINE_KB_WORKER_NICE", "15")
    monkeypatch.setenv("HOTLINE_KB_WARM_UP", "off")
    app = create_app(config)
    assert (app.config["KB_SEMANTIC_BUDGET_MS"], app.config["KB_WORKER_NICE"], app.config["KB_WARM_UP"]) == (
        40.0,
        15,
        False,
    )


def test_settings_cache_and_background_jobs_settings(monkeypatch, tmp_path):
    config = {"HOTLINE_ENV": "development", "DATA_DIR": str(tmp_path)}
    app = create_app(config)
    assert app.config["SETTINGS_CACHE_SECONDS"] == 30 and "INLINE_JOBS_BACKGROUND" not in app.config  # gunicorn's
    assert create_app({**config, "HOTLINE_ENV": "testing"}).config["SETTINGS_CACHE_SECONDS"] == 0
    monkeypatch.setenv("HOTLINE_SETTINGS_CACHE_SECONDS", "5")
    monkeypatch.setenv("HOTLINE_INLINE_JOBS_BACKGROUND", "off")
    monkeypatch.setenv("HOTLINE_KB_ENGINE", "wheel")
    app = create_app(config)
    assert (app.config["SETTINGS_CACHE_SECONDS"], app.config["INLINE_JOBS_BACKGROUND"]) == (5, False)


def test_healthz_embedded(app):
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "database": "ok", "redis": "not_configured"}


@pytest.mark.redis
def test_healthz_with_redis(make_app, redis_url):
    r = make_app(REDIS_URL=redis_url).test_client().get("/healthz")
    assert r.status_code == 200 and r.json["redis"] == "ok"


def test_livez_answers_without_touching_the_database(make_app, tmp_path):
    broken = create_app(
        {"HOTLINE_ENV": "testing", "DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    r = broken.test_client().get("/livez")
    assert r.status_code == 200 and r.data == b"ok\n" and r.headers["Cache-Control"] == "no-store"
    assert broken.test_client().get("/healthz").status_code == 503


def test_healthz_reports_unreachable_services(make_app, tmp_path):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and r.json["redis"] == "unreachable" and r.json["database"] == "ok"
    broken = create_app(
        {"HOTLINE_ENV": "testing", "DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503 and r.json["database"] == "unreachable"


def test_openapi_documents_every_route(app, world):
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    api_routes = route_guard.routes(app, "api")  # every route of an API blueprint, whatever its prefix
    assert api_routes
    for method, rule in api_routes:
        path = rule.replace("<", "{").replace(">", "}")
        assert (method, path) in documented
        op = spec["paths"][path][method.lower()]
        assert op["summary"] and not op["summary"].startswith(("tickets_api.", "api.")), (method, path)
    public = {(m.upper(), p) for p, ops in spec["paths"].items() for m, op in ops.items() if "security" not in op}
    assert public == {("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/progress")}
    create = spec["paths"]["/api/v1/tickets"]["post"]
    schema = spec["components"]["schemas"][
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    assert {"caller_phone", "request_type", "category", "content"} <= set(schema["required"])
    assert "Error" in spec["components"]["schemas"]


def test_openapi_is_a_valid_document(app):
    from openapi_spec_validator import validate

    validate(app.test_client().get("/api/v1/openapi.json").json)


def test_unknown_api_path_and_method_are_json(world):
    r = world.client("operator").get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = world.client("operator").delete("/api/v1/tickets")
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"


def test_security_headers(app, world):
    r = world.client("operator").get("/api/v1/tickets")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    page = app.test_client().get("/login")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_an_unexpected_error_is_a_logged_json_500_without_details(app, world, monkeypatch, caplog):
    from hotline.tickets import queries

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "search", boom)
    r = world.client("operator").get("/api/v1/tickets")
    assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"
    assert "secret internals" not in r.get_data(as_text=True)
    assert "secret internals" in caplog.text


def test_ticket_events_are_immutable_in_the_database(app, world):
    world.ticket("dispatched")
    with app.app_context():
        with pytest.raises(Exception, match="immutable"):
            db.session.execute(text("UPDATE ticket_events SET note = 'rewritten'"))
        db.session.rollback()
        with pytest.raises(Exception, match="immutable"):
            db.session.execute(text("DELETE FROM ticket_events"))
        db.session.rollback()
        with pytest.raises(Exception, match="immutable"):
            db.session.execute(text("DELETE FROM audit_events"))
        db.session.rollback()
        assert TicketEvent.query.count() == 3
        event = TicketEvent.query.first()
        event.note = "changed through the ORM"
        with pytest.raises(RuntimeError, match="immutable"):
            db.session.flush()
        db.session.rollback()
