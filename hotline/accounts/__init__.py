"""Users, roles, sessions and API tokens."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the auth and users API and the ``users`` commands (from ``create_app``)."""
    from ..core.wiring import register_api, register_cli
    from .cli import users_cli
    from .views import bp

    register_api(app, bp)
    register_cli(app, users_cli)
