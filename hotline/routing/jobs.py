"""The periodic retraining of the dispatch suggestions (hourly; skipped when the history did
not change; two at once both store a model, the newer one is used: harmless)."""

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
