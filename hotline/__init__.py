"""The 12345 government service hotline and complaint ticketing system."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, g, request

from .config import ConfigError, load

__all__ = ["ConfigError", "create_app"]

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application. Nothing connects to a database or to Redis here."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load(app.instance_path, test_config))
    os.makedirs(app.config["DATA_DIR"], exist_ok=True)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for name in ("hotline", "workers", "knowledge_base"):
            logging.getLogger(name).setLevel(logging.INFO)

    from . import models  # noqa: F401 - the whole schema, for Alembic and create_all
    from .core import db as core_db
    from .core import hooks
    from .core.validation import refuse_nul_in_path
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        core_db.configure_engine(db.engine)
    hooks.install()
    core_db.install_session_listeners()
    from knowledge_base import init_app as init_knowledge_base

    init_knowledge_base(app, csrf)  # its API blueprint and `kb` commands

    app.before_request(refuse_nul_in_path)

    @app.before_request
    def _transaction_mode():
        # SQLite: requests that change things take the write lock when they begin.
        g._write_intent_token = core_db.set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _reset_transaction_mode(exc):
        token = g.pop("_write_intent_token", None)
        if token is not None:
            core_db.reset_write_intent(token)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        elif response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            )
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _register_blueprints(app, csrf)
    _register_notifications_and_supervision(app, csrf)
    from . import errors

    errors.register(app)
    from .cli import register as register_cli

    register_cli(app)
    _register_domains(app)
    return app


def _register_domains(app: Flask) -> None:
    """Signal receivers, CLI groups and timers of the domains that react to tickets."""
    from . import sla
    from .ops import cli as ops_cli
    from .sla import cli as sla_cli

    sla.init_app(app)
    sla_cli.register(app)
    ops_cli.register(app)


def _register_blueprints(app: Flask, csrf) -> None:
    from .accounts.views import bp as accounts_api
    from .api.views import bp as api
    from .audit.views import bp as audit_api
    from .categories.views import bp as categories_api
    from .health import bp as health
    from .ops.views import bp as ops_api
    from .sla.views import bp as sla_api
    from .tickets.views import bp as tickets_api
    from .units.views import bp as units_api
    from .web import register as register_web

    for bp in (api, accounts_api, audit_api, units_api, categories_api, tickets_api, sla_api, ops_api):
        csrf.exempt(bp)  # bearer tokens, never cookies: nothing to forge
        app.register_blueprint(bp)
    app.register_blueprint(health)
    register_web(app)


def _register_notifications_and_supervision(app: Flask, csrf) -> None:
    """Notifications and e-supervision: their APIs, CLIs and signal receivers."""
    from . import notifications, supervision

    notifications.init_app(app, csrf)
    supervision.init_app(app, csrf)
    from . import reports

    reports.init_app(app, csrf)
