"""Periodic jobs of the citizens' channels."""

from __future__ import annotations

import logging

from ..core import clock
from ..core.ratelimit import prune as prune_windows
from ..extensions import db

log = logging.getLogger(__name__)


def prune() -> int:
    """Delete the rate-limit windows that ended (database counters only; Redis expires its own)
    and the phone codes that expired a day ago."""
    from .webform import prune as prune_codes

    now = clock.now()
    removed = prune_windows(now=now) + prune_codes(now=now)
    db.session.commit()
    if removed:
        log.info("pruned %d rate-limit windows", removed)
    return removed
