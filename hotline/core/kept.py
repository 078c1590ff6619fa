"""Settings admins change rarely (message templates, deadline policies), kept in the process.

Every dispatch read the dispatched-to message template and the deadline policy from the
database: two statements of its twelve, for rows that change a few times a year. Here such a
value, read once, is kept for ``HOTLINE_SETTINGS_CACHE_SECONDS`` (30; 0 in tests: always
read). A change made through this process is seen by its next request (the service that
writes it calls :func:`forget_after_commit`); other processes, and other hosts, see it within
that many seconds. What a request used is written down with what it made (the deadline's
``policy``, the message's text), so a figure never depends on which process answered.

Only plain values are kept (never ORM objects, which belong to one session), one store per
application.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app

from ..extensions import db
from . import hooks

_lock = threading.Lock()


def _store(app: Flask) -> dict:
    return app.extensions.setdefault("hotline_kept", {})


def get(key: tuple[Hashable, ...], load: Callable[[], Any]) -> Any:
    """The value kept under ``key`` (its first item names the kind), or ``load()``'s, kept."""
    app = current_app._get_current_object()
    seconds = app.config.get("SETTINGS_CACHE_SECONDS", 0)
    if seconds <= 0:
        return load()
    store = _store(app)
    now = time.monotonic()
    found = store.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = load()
    with _lock:
        store[key] = (now + seconds, value)
    return value


def forget(app: Flask, kind: str) -> None:
    """Drop every value of ``kind`` kept in this process."""
    store = _store(app)
    with _lock:
        for key in [k for k in store if k[0] == kind]:
            store.pop(key, None)


def forget_after_commit(kind: str) -> None:
    """Drop the values of ``kind`` once the current transaction commits (they changed in it),
    and now, so that the rest of the transaction reads the change too."""
    app = current_app._get_current_object()
    forget(app, kind)
    hooks.after_commit(db.session(), forget, app, kind)
