"""The sweep as a background job (queue ``escalation``), run by rq workers or inline.

Jobs take ids only; the sweep takes at most the instant it runs "as of" (an ISO 8601
string, for operations and tests). It is safe to run twice, at once, or again after a
worker was killed: the database decides what is recorded (see :mod:`hotline.sla.sweep`).
"""

from __future__ import annotations

from ..core import clock
from . import sweep as sweeping

SWEEP = "hotline.sla.jobs.sweep"


def sweep(as_of: str | None = None) -> dict:
    now = clock.parse_iso(as_of) if as_of else clock.now()
    result = sweeping.run_sweep(now)
    return {"now": now.isoformat(), "checked": result.deadlines_checked, **result.counts(), "failed": result.failed}
