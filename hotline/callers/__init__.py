"""Callers (来电人), found by their normalised phone number."""

from __future__ import annotations


def init_app(app) -> None:
    """Nothing to register: a caller's history is served by the tickets API
    (``/api/v1/callers/<phone>/tickets``) and the pages (``/ui/callers/...``)."""
