"""Member units (成员单位): city, district and town/street offices and city departments."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the units API (from ``create_app``)."""
    from ..core.wiring import register_api
    from .views import bp

    register_api(app, bp)
