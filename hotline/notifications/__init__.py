"""Notifications: message templates, the outbox, and the channels that deliver it
(SMS over an HTTP gateway, e-mail over SMTP, or the outbox alone)."""

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
