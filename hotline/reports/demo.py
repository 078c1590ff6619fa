"""Demo data for `flask --app wsgi demo seed` (idempotent): the default exemption reasons."""

from __future__ import annotations

from datetime import datetime

from .services import ensure_default_reasons


def seed_reasons(now: datetime) -> tuple[str, int]:
    return "exemption reasons added", ensure_default_reasons(now=now)
