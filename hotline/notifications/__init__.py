"""Notifications: message templates, the outbox, and the channels that deliver it
(SMS over an HTTP gateway, e-mail over SMTP, or the outbox alone)."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the API, the CLI and the periodic requeue; connect the signal receivers (from ``create_app``)."""
    from ..core.periodic import Periodic
    from ..core.wiring import register_api, register_cli, register_periodic
    from . import receivers
    from .cli import cli
    from .views import bp

    register_api(app, bp)  # bearer tokens only
    register_cli(app, cli)
    # Messages whose job was lost (Redis restarted, a worker was killed mid-send) are queued
    # again; a row whose job still exists is claimed by one copy only.
    register_periodic(
        app,
        Periodic(
            name="notifications-requeue",
            path="hotline.notifications.jobs.requeue_stuck",
            every=600,
            queue="notifications",
            timeout=300,
        ),
    )
    receivers.connect()
