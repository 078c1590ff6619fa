"""Tickets (工单): intake, the lifecycle, and its audit trail."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the tickets API, callers' history included (from ``create_app``)."""
    from ..core.wiring import register_api
    from .views import bp

    register_api(app, bp)
