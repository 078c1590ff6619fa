"""Routing (派单): dispatch suggestions learned from the centre's own history."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the suggestions API, the CLI, the periodic retraining and the periodic record
    of what was suggested at each dispatch (from ``create_app``)."""
    from ..core.periodic import Periodic
    from ..core.wiring import register_api, register_cli, register_periodic
    from . import services
    from .cli import routing_cli
    from .views import bp

    register_api(app, bp)
    register_cli(app, routing_cli)
    register_periodic(
        app,
        Periodic(
            name="dispatch-suggestions-train",
            path="hotline.routing.jobs.retrain",
            every=3600,
            queue="default",
            timeout=1800,
            interval_setting="SUGGEST_TRAIN_SECONDS",
        ),
    )
    register_periodic(
        app,
        Periodic(
            name="dispatch-suggestions-record",
            path=services.RECORD_JOB,
            every=services.RECORD_EVERY,
            queue="default",
            timeout=600,
        ),
    )
