"""/healthz: is the database reachable, is Redis (when configured)? /livez: is the process serving?

A load balancer or supervisor restarts a process whose /livez fails, and takes a process out
of rotation while its /healthz fails (a database outage is not cured by a restart).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .core.redis import get_redis
from .core.wiring import public, register_pages
from .extensions import db

bp = Blueprint("health", __name__)


def init_app(app) -> None:
    register_pages(app, bp)


@bp.get("/healthz")
@public
def healthz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # reported, not raised: this page exists to say what is down
        current_app.logger.warning("health check: database unreachable: %s", exc)
        db.session.rollback()
        checks["database"] = "unreachable"
    redis = get_redis()
    if redis is None:
        checks["redis"] = "not_configured"
    else:
        try:
            redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            current_app.logger.warning("health check: redis unreachable: %s", exc)
            checks["redis"] = "unreachable"
    healthy = all(v in ("ok", "not_configured") for v in checks.values())
    response = jsonify({"status": "ok" if healthy else "unhealthy", **checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/livez")
@public
def livez():
    """The process answers: no database, no Redis, no session (the benchmarks' ceiling too)."""
    response = current_app.response_class("ok\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
