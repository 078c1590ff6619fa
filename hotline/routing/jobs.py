"""The routing's periodic jobs: retraining the dispatch suggestions (hourly; skipped when the
history did not change; two at once both store a model, the newer one is used: harmless), and
recording what they said at the dispatches since the last run (every minute; two at once:
the second finds each record made, or loses its insert to the first's unique event id)."""

from __future__ import annotations

import logging

from ..core import clock
from ..extensions import db
from . import services

log = logging.getLogger(__name__)


def retrain() -> int | None:
    row = services.retrain(now=clock.now(), trained_by="job")
    db.session.commit()
    if row is not None:
        log.info(
            "dispatch suggestions retrained: model %d, %d examples, %.1f s", row.id, row.examples, row.train_seconds
        )
        return row.id
    return None


def record_dispatches() -> int:
    done = services.record_pending()
    if done:
        log.info("dispatch suggestions recorded for %d dispatch(es)", done)
    return done
