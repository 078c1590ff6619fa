"""The audit trail of changes that are not ticket transitions (users, units, logins...)."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the audit-events API (from ``create_app``)."""
    from ..core.wiring import register_api
    from .views import bp

    register_api(app, bp)
