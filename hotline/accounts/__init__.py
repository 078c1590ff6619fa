"""Users, roles, sessions and API tokens."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the auth and users API and the ``users`` commands (from ``create_app``), and
    mask personal numbers in every answer and page for the roles that may not read them."""
    from ..core import privacy
    from ..core.wiring import register_api, register_cli
    from .cli import users_cli
    from .views import bp

    register_api(app, bp)
    register_cli(app, users_cli)
    privacy.install(app, _viewer_is_masked)


def _viewer_is_masked() -> bool | None:
    """The request's viewer (the API's token user, else the session's user) may not read
    citizens' numbers; None while nobody is signed in."""
    from flask import g
    from flask_login import current_user

    from .permissions import must_mask_personal_numbers

    viewer = g.get("actor")
    if viewer is None and current_user and current_user.is_authenticated:
        viewer = current_user
    return None if viewer is None else must_mask_personal_numbers(viewer)
