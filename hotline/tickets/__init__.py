"""Tickets (工单): intake, the lifecycle, and its audit trail."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the tickets API, callers' history included, and connect the receivers that
    turn the deadline watch's signals into ticket events, and keep the text index current when a
    ticket's text is edited (from ``create_app``)."""
    from ..core.wiring import register_api, register_cli
    from . import receivers, text_search
    from .caller_views import bp as callers_bp
    from .cli import tickets_cli
    from .views import bp

    register_api(app, bp)
    register_api(app, callers_bp)
    register_cli(app, tickets_cli)
    receivers.connect()
    text_search.connect()
