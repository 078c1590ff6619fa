"""The 12345 government service hotline and complaint ticketing system."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, current_app, g, request

from .config import ConfigError, load

__all__ = ["ConfigError", "create_app"]

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

# Every domain, in order: each module's init_app(app) registers its API and pages
# blueprints, CLI group, signal receivers, periodic jobs and demo-seed section
# (hotline.core.wiring). Adding a domain is one folder and one line here. The order is
# the order of the periodic jobs and of the demo seed's sections.
DOMAINS: tuple[str, ...] = (
    "hotline.accounts",
    "hotline.units",
    "hotline.categories",
    "hotline.callers",
    "hotline.audit",
    "hotline.tickets",
    "hotline.attachments",
    "hotline.sla",
    "hotline.routing",
    "knowledge_base",
    "hotline.notifications",
    "hotline.supervision",
    "hotline.ops",
    "hotline.reports",
    "hotline.citizens",
    "hotline.queues",
    "hotline.api",
    "hotline.web",
    "hotline.health",
    "hotline.demo",
)


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
    from .core import bodies, hooks, timer, txcache, wiring
    from .core import db as core_db
    from .core.validation import refuse_nul_in_path
    from .extensions import csrf, db, login_manager, migrate

    bodies.install(app)  # first: the CSRF check below reads the form
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        core_db.configure_engine(db.engine)
    hooks.install()
    txcache.install()
    core_db.install_session_listeners()
    timer.install(app)  # the embedded mode's periodic jobs, started by the first request

    app.before_request(refuse_nul_in_path)
    from .core import clients

    clients.install(app)

    @app.before_request
    def _transaction_mode():
        # SQLite: requests that change things take the write lock when they begin.
        g._write_intent_token = core_db.set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _reset_transaction_mode(exc):
        token = g.pop("_write_intent_token", None)
        if token is not None:
            core_db.reset_write_intent(token)

    app.after_request(_security_headers)

    wiring.declare_public(app, "static")
    wiring.init_domains(app, DOMAINS)
    # Default deny (after the domains' own hooks, such as starting the embedded timer): a
    # route is public, behind the API's bearer check, or needs a signed-in session.
    app.before_request(wiring.refuse_undeclared)
    from . import cli, errors

    errors.register(app)
    cli.register(app)  # the platform's own commands: worker, scheduler
    return app


def _security_headers(response):
    """Every response: no sniffing or framing; API answers and pages are never cached; pages
    run only the app's own scripts and styles."""
    from .core import wiring

    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Cookies only travel over HTTPS: so does everything else, for a year (HSTS).
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if wiring.is_api_request():
        response.headers.setdefault("Cache-Control", "no-store")
    elif response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        response.headers.setdefault("Cache-Control", "no-store")
    return response
