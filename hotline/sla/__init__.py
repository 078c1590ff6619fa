"""Deadlines (时限): policies, calendars, the deadline rows of every ticket, and the watch.

- ``policies``: which allowance applies to a ticket (request type × urgency), admin-edited;
- ``calendars``: which days are working days (chinese_calendar + admin-entered dates);
- ``services``: open, extend, meet and stop deadlines (ticket services call these);
- ``receivers``: stop the unit's clocks when a ticket is accepted, replied, returned...;
- ``sweep``: the watch, recording each passed point exactly once;
- ``timer``: the embedded mode's sweep thread; ``jobs``: the sweep as an rq job.

The arithmetic itself is pure and lives in :mod:`hotline.sla.arithmetic`.
"""

from __future__ import annotations


def init_app(app) -> None:
    """Connect the receivers and the embedded timer (called by create_app)."""
    from ..demo.seed import EXTRA_SECTIONS
    from . import receivers, timer
    from .demo import seed_policies

    receivers.connect()
    if seed_policies not in EXTRA_SECTIONS:
        EXTRA_SECTIONS.append(seed_policies)

    @app.before_request
    def _start_sweep_timer():
        timer.maybe_start(app)
