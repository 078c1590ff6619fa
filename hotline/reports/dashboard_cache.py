"""The dashboard's cache of this month's per-unit rates (hotline.reports.dashboard): kept
``DASHBOARD_CACHE_SECONDS`` per scope, in Redis when it is configured (one copy shared by
every process and host), else in the process (the embedded default), and recomputed in a
background thread so that no request waits for it."""

from __future__ import annotations

import json
import logging
import threading
import time

from flask import current_app

from ..extensions import db

log = logging.getLogger(__name__)


def cached(key: tuple, compute):
    """``compute()``'s value, kept ``DASHBOARD_CACHE_SECONDS`` per key: in Redis when it is
    configured (one copy for every process and host), else in this process.

    The month's figures take seconds at a big city's scale (all units, 1M tickets), far
    over the page's budget, so no request waits for them once they exist: a stale value is
    returned at once while one background thread computes the next; before the first
    value exists the result is None ("being computed") and the page's next refresh shows
    it. With 0 seconds (the default under testing) every call computes, synchronously.
    """
    app = current_app._get_current_object()
    seconds = app.config["DASHBOARD_CACHE_SECONDS"]
    if not seconds:
        return compute()
    from ..core.redis import get_redis

    redis = get_redis(app)
    if redis is not None:
        try:
            return _cached_in_redis(app, redis, key, compute, seconds)
        except Exception:  # Redis down: this process's own cache until it is back
            log.warning("dashboard: Redis cache unavailable, using the process's own", exc_info=True)
    store = app.extensions.setdefault("hotline.dashboard_cache", {})
    hit = store.get(key)
    if hit is None or hit[0] <= time.monotonic():

        def keep(value):
            store[key] = (time.monotonic() + seconds, value)

        _refresh_in_background(app, key, compute, keep)
    return hit[1] if hit else None


REDIS_PREFIX = "hotline:dashboard:"


def redis_key(key: tuple) -> str:
    return REDIS_PREFIX + ":".join(map(str, key))


def _cached_in_redis(app, redis, key: tuple, compute, seconds: int):
    """The shared cache: ``{"expires": unix time, "value": ...}`` as JSON under
    ``hotline:dashboard:<key>`` (kept ten times ``seconds``, so a stale value is still
    there to show while the next is computed). One process in all refreshes an expired key:
    the one that takes its lock (``SET NX`` with an expiry, so a crashed one frees it)."""
    name = redis_key(key)
    raw = redis.get(name)
    hit = json.loads(raw) if raw else None
    if hit is None or hit["expires"] <= time.time():
        lock = name + ":refreshing"
        if redis.set(lock, app.config.get("HOSTNAME", "1"), nx=True, ex=max(60, seconds)):

            def keep(value):
                document = json.dumps({"expires": time.time() + seconds, "value": value}, ensure_ascii=False)
                redis.set(name, document, ex=seconds * 10)
                redis.delete(lock)

            _refresh_in_background(app, key, compute, keep, on_failure=lambda: redis.delete(lock))
    return hit["value"] if hit else None


_refreshing_lock = threading.Lock()


def _refresh_in_background(app, key: tuple, compute, keep, on_failure=None) -> None:
    """Compute ``key``'s value in a thread of its own (one per key at a time in a process)
    and hand it to ``keep``."""
    refreshing = app.extensions.setdefault("hotline.dashboard_refreshing", set())
    with _refreshing_lock:
        if key in refreshing:
            return
        refreshing.add(key)

    def run():
        try:
            with app.app_context():
                try:
                    keep(compute())
                finally:
                    db.session.remove()
        except Exception:  # logged; the next request tries again
            log.exception("dashboard: computing %s failed", key)
            if on_failure is not None:
                try:
                    on_failure()
                except Exception:
                    log.exception("dashboard: releasing the refresh of %s failed", key)
        finally:
            with _refreshing_lock:
                refreshing.discard(key)

    threading.Thread(target=run, name=f"dashboard-{'-'.join(map(str, key))}", daemon=True).start()
