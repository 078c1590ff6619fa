"""Callers (来电人), found by their normalised phone number."""

from __future__ import annotations


def init_app(app) -> None:
    """Nothing to register: a caller's history is served by the tickets API
    (``POST /api/v1/callers/lookup``, the number in the body) and the pages
    (``POST /ui/callers/lookup``); every lookup is audited (``services.look_up``)."""
