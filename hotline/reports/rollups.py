"""Rollups: the stored figures of closed months, read instead of recomputed.

A closed month's figures do not depend on when they are computed, only on the rows behind
them, so :func:`build` computes them once with the live code (figures.py,
figures_centre.py, monthly_parts.worst_candidates) and stores the raw counts: per unit, for
the whole city and per level; the centre's counts and volume; the worst overdue candidates.
Rates, scores, ranks and names are derived from them on each read, exactly as from the live
counts.

A rollup is served (:func:`stored`) only when all of these hold, else the caller computes
live:

- reading rollups is on (``REPORT_ROLLUPS``, default on);
- the period is a calendar month of the centre's zone and is over at ``now``;
- a row exists for that month with the same bounds (a changed time zone misses);
- its ``version`` equals the month's current version in ``figure_month_versions`` (0 when
  the month has none), which :mod:`hotline.reports.rollup_watch` bumps in the transaction
  of every change that can alter the month's figures.

:func:`build` reads the month's version *before* it reads any figure: a change committed
after that read has bumped the version past the one stored, so a row built beside a change
is stale at once and never served. The periodic job (:func:`refresh_job`) and
``flask --app wsgi report rollup`` (re)build the closed months that lack a current row.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..core import clock
from ..core.db import upsert_insert
from ..core.errors import InvalidInput
from ..extensions import db
from .rollup_models import FigureMonthVersion, FigureRollup

log = logging.getLogger(__name__)

WORST_KEEP = 50  # stopped overdue deadlines kept as candidates of the worst overdue list
REFRESH_MONTHS = 12  # the closed months the periodic job keeps current (the trend's span)
_PARTS = ("units", "centre", "worst")


def enabled() -> bool:
    return bool(current_app.config.get("REPORT_ROLLUPS", True))


def month_version(month: str) -> int:
    return db.session.scalar(select(FigureMonthVersion.version).where(FigureMonthVersion.month == month)) or 0


def _current(*columns):
    """Rollup rows whose version is still their month's."""
    return (
        select(*columns)
        .select_from(FigureRollup)
        .outerjoin(FigureMonthVersion, FigureMonthVersion.month == FigureRollup.month)
        .where(FigureRollup.version == func.coalesce(FigureMonthVersion.version, 0))
    )


def _servable(period, now: datetime) -> bool:
    return enabled() and period.kind == "month" and period.end <= now


def _decode(part: str, value: dict) -> dict:
    if part != "units":
        return value
    return {
        "units": {int(uid): counts for uid, counts in value["units"].items()},
        "total": value["total"],
        "levels": value["levels"],
    }


def stored(period, *, now: datetime, part: str) -> dict | None:
    """The current stored ``part`` ("units", "centre" or "worst") of a closed month, or None."""
    if part not in _PARTS:
        raise ValueError(part)
    if not _servable(period, now):
        return None
    value = db.session.scalar(
        _current(getattr(FigureRollup, part)).where(
            FigureRollup.month == period.month,
            FigureRollup.period_start == period.start,
            FigureRollup.period_end == period.end,
        )
    )
    return None if value is None else _decode(part, value)


def stored_centre_counts(periods: dict, *, now: datetime) -> dict:
    """``{month: the centre's counts}`` of those of ``periods`` (month → Period) with a
    current rollup: one query (the trend's twelve months)."""
    wanted = {m: p for m, p in periods.items() if _servable(p, now)}
    if not wanted:
        return {}
    rows = db.session.execute(
        _current(FigureRollup.month, FigureRollup.period_start, FigureRollup.period_end, FigureRollup.centre).where(
            FigureRollup.month.in_(list(wanted))
        )
    )
    return {
        month: centre["counts"]
        for month, start, end, centre in rows
        if (start, end) == (wanted[month].start, wanted[month].end)
    }


def _period(month: str, now: datetime):
    from . import monthly, periods

    month = monthly.parse_month(month, now=now)
    period = periods.month_period(month, monthly._zone())
    if period.end > now:
        raise InvalidInput(
            f"{month} is not over yet: its figures are computed live.",
            message_zh=f"{month} 这个月尚未结束，数据实时计算，不生成汇总。",
            field="month",
        )
    return period


def compute(period, *, now: datetime) -> dict:
    """Every part of a closed month's rollup, computed live (what :func:`build` stores)."""
    from ..units.models import Level
    from . import figures, monthly_parts
    from .figures import _units
    from .figures_centre import centre_counts_and_volume
    from .scope import make_scope

    scope = make_scope(period, now=now)
    counts, total = figures.unit_and_total_counts(scope)
    by_level = figures.level_counts(scope)
    levels = {
        level.value: {"unit_ids": sorted(u.id for u in _units(level.value, None)), "total": by_level[level.value]}
        for level in Level
    }
    return {
        "units": {"units": {str(uid): c for uid, c in counts.items()}, "total": total, "levels": levels},
        "centre": centre_counts_and_volume(scope),
        "worst": monthly_parts.worst_candidates(period, now=now, keep=WORST_KEEP),
    }


def build(month: str, *, now: datetime) -> FigureRollup:
    """Compute and store a closed month's rollup (replacing any older one). The caller commits."""
    period = _period(month, now)
    version = month_version(period.month)  # first: a change after this read makes the row stale
    started = time.perf_counter()
    parts = compute(period, now=now)
    values = {
        "period_start": period.start,
        "period_end": period.end,
        "version": version,
        **parts,
        "built_at": now,
        "build_ms": round((time.perf_counter() - started) * 1000),
    }
    db.session.execute(
        upsert_insert(FigureRollup)
        .values(month=period.month, **values)
        .on_conflict_do_update(index_elements=["month"], set_=values)
    )
    db.session.flush()
    return db.session.get(FigureRollup, period.month, populate_existing=True)


def is_current(month: str, period) -> bool:
    return (
        db.session.scalar(
            _current(FigureRollup.month).where(
                FigureRollup.month == month,
                FigureRollup.period_start == period.start,
                FigureRollup.period_end == period.end,
            )
        )
        is not None
    )


def closed_months(now: datetime, count: int = REFRESH_MONTHS) -> list[str]:
    """The ``count`` months before the current one (in the centre's zone), newest first."""
    from . import monthly

    current = clock.local(now).strftime("%Y-%m")
    return [monthly.shift_month(current, -back) for back in range(1, count + 1)]


def refresh(now: datetime, months: list[str] | None = None) -> list[str]:
    """Build the given closed months (default: the last twelve) that lack a current rollup,
    committing each (a long run keeps what it finished). Returns the months built."""
    from . import monthly, periods

    built = []
    for month in months or closed_months(now):
        period = periods.month_period(month, monthly._zone())
        if is_current(month, period):
            continue
        build(month, now=now)
        db.session.commit()
        built.append(month)
        log.info("figures of %s stored", month)
    return built


def refresh_job() -> int:
    """The periodic job: the last twelve closed months kept current (idempotent; two runs at
    once each store a row no newer than what they read, the last one wins)."""
    return len(refresh(clock.now()))
