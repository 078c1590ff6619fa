"""Electronic supervision (电子监察): cases, urge/supervise orders, rectification notices,
yellow and red cards against units, and the signed connector to the external system."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the API, the CLI and the periodic requeue; connect the signal receivers (from ``create_app``)."""
    from ..core.periodic import Periodic
    from ..core.wiring import register_api, register_cli, register_demo_section, register_periodic
    from . import receivers, services
    from .cli import cli
    from .views import bp

    register_api(app, bp)  # bearer tokens only
    register_cli(app, cli)
    # Deliveries to the e-supervision system whose job was lost are queued again.
    register_periodic(
        app,
        Periodic(
            name="esup-requeue",
            path="hotline.supervision.jobs.requeue_stuck",
            every=600,
            queue="escalation",
            timeout=300,
        ),
    )
    # Templates, unit contacts and a few cases: after the demo tickets, which already opened cases.
    register_demo_section(app, "hotline.supervision.demo.seed")
    receivers.connect()
    services.ask_cheaply()
