"""Stored figures of closed months (rollups) and the per-month change counter that keeps
them honest.

``figure_rollups`` holds, per closed month, the counts the bulletin, the ranking and the
trend read: per unit, for the whole city and per level (units), the centre's own counts and
volume (centre), and the worst overdue candidates (worst). Each row keeps the ``version`` of
its month in ``figure_month_versions`` read when it was built; the month's version is bumped
in the transaction of any change that can alter that month's figures
(:mod:`hotline.reports.rollup_watch`), so a row is served only while the two are equal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db
from ..tickets.models import JSONType


class FigureMonthVersion(db.Model):
    """How many times a change touched the month's figures (a row appears at the first)."""

    __tablename__ = "figure_month_versions"
    __table_args__ = (CheckConstraint("length(month) = 7", name="month_format"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class FigureRollup(db.Model):
    """A closed month's figures, as computed when ``version`` was the month's version."""

    __tablename__ = "figure_rollups"
    __table_args__ = (CheckConstraint("length(month) = 7", name="month_format"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    units: Mapped[dict] = mapped_column(JSONType)  # {"units": {id: counts}, "total": counts, "levels": ...}
    centre: Mapped[dict] = mapped_column(JSONType)  # {"counts": ..., "by_channel": [...], ...}
    worst: Mapped[dict] = mapped_column(JSONType)  # {"closed": [[deadline id, seconds late]], "open": [ids]}
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    build_ms: Mapped[int] = mapped_column(Integer)
