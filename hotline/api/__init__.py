"""The JSON API under /api/v1: authentication, request parsing, errors, OpenAPI."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the OpenAPI document's route (from ``create_app``)."""
    from ..core.wiring import register_api
    from .views import bp

    register_api(app, bp)
