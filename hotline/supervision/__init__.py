"""Electronic supervision (电子监察): cases, urge/supervise orders, rectification notices,
yellow and red cards against units, and the signed connector to the external system."""

from __future__ import annotations


def init_app(app, csrf) -> None:
    """Register the API and the CLI, and connect the signal receivers (from create_app)."""
    from . import receivers
    from .cli import cli
    from .views import bp

    csrf.exempt(bp)  # bearer tokens only
    app.register_blueprint(bp)
    app.cli.add_command(cli)
    receivers.connect()
