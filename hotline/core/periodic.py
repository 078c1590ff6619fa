"""Periodic jobs: each domain declares its own in its ``init_app`` (``wiring.register_periodic``);
the app collects them in the order the domains are listed (``wiring.periodic_jobs(app)``).

``workers/schedule.py`` enqueues each on its queue once per time bucket (job id
``periodic-<name>-<bucket>``); without Redis, the embedded timer calls them in the web
process at ``every`` (or at the interval the job's ``interval_setting`` names). Every one
is safe to run twice or late: exactly-once is the database's business.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str  # unique; part of the scheduler's deterministic job ids
    path: str  # dotted path of a function taking no arguments
    every: int  # seconds
    queue: str
    timeout: int
    # A config key whose value, when set, replaces ``every`` on the embedded timer.
    interval_setting: str | None = None

    def timer_interval(self, config) -> float:
        if self.interval_setting and config.get(self.interval_setting):
            return float(config[self.interval_setting])
        return float(self.every)
