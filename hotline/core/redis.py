"""The Redis connection, created on first use per application (never at import)."""

from __future__ import annotations

from flask import Flask, current_app


def get_redis(app: Flask | None = None):
    """The app's Redis client, or None in the embedded mode (no HOTLINE_REDIS_URL)."""
    app = app or current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("hotline.redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        app.extensions["hotline.redis"] = client
    return client
