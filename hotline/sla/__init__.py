"""Deadlines (时限): policies, calendars, the deadline rows of every ticket, and the watch.

- ``policies``: which allowance applies to a ticket (request type × urgency), admin-edited;
- ``calendars``: which days are working days (chinese_calendar + admin-entered dates);
- ``services``: open, extend, meet and stop deadlines (ticket services call these);
- ``receivers``: stop the unit's clocks when a ticket is accepted, replied, returned...;
- ``sweep``: the watch, recording each passed point exactly once and reporting it through
  ``signals.deadline_passed`` (the tickets domain turns that into ticket events);
- ``jobs``: the sweep as a job (run by rq workers, or by the embedded timer,
  :mod:`hotline.core.timer`).

The arithmetic itself is pure and lives in :mod:`hotline.sla.arithmetic`. This package
knows tickets by their ids and never imports ``hotline.tickets`` (an import contract in
``.importlinter``, checked by ``make lint``).
"""

from __future__ import annotations


def init_app(app) -> None:
    """Register the API, the ``sla`` commands, the watch (a periodic job) and the demo
    policies; connect the receivers (from ``create_app``)."""
    from ..core.periodic import Periodic
    from ..core.wiring import register_api, register_cli, register_demo_section, register_periodic
    from . import receivers
    from .cli import sla_cli
    from .jobs import SWEEP
    from .views import bp

    register_api(app, bp)
    register_cli(app, sla_cli)
    # The deadline watch: every minute on the escalation queue; on the embedded timer,
    # every HOTLINE_SWEEP_INTERVAL_SECONDS.
    register_periodic(
        app,
        Periodic(
            name="sla-sweep",
            path=SWEEP,
            every=60,
            queue="escalation",
            timeout=600,
            interval_setting="SWEEP_INTERVAL_SECONDS",
        ),
    )
    register_demo_section(app, "hotline.sla.demo.seed_policies")
    receivers.connect()
