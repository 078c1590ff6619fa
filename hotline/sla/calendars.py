"""Which days are working days: admin-entered dates, then the chinese_calendar package
(statutory holidays off, adjusted working weekends 调休 on), then weekends.

``chinesecalendar`` 1.11.0 knows 2004–2026 and raises NotImplementedError for other
years. A year nobody knows never crashes a dispatch or a sweep: it counts Monday to
Friday as working days, logs a warning and records a ``calendar_warnings`` row that
admins see (``GET /api/v1/sla/calendar/warnings``) until they enter that year's dates.
A year is *entered* as soon as it has one admin-entered date: from then on its other
days follow the weekend rule without a warning.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import chinese_calendar
from sqlalchemy import extract, select

from ..core.db import upsert_insert
from ..extensions import db
from .models import CalendarDay, CalendarWarning

log = logging.getLogger(__name__)

PACKAGE = "chinesecalendar"


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """``is_working_day(date)`` for the arithmetic; remembers where each answer came from."""

    def __init__(self, overrides: dict[date, bool], entered_years: set[int]):
        self.overrides = overrides
        self.entered_years = entered_years
        self.years: dict[int, str] = {}  # year → "package" / "admin" / "weekends"

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            self.years.setdefault(day.year, "admin")
            return self.overrides[day]
        try:
            working = chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.years[day.year] = "admin" if day.year in self.entered_years else "weekends"
            return day.weekday() < 5
        self.years.setdefault(day.year, "package")
        return working

    @property
    def fallback_years(self) -> list[int]:
        return sorted(y for y, source in self.years.items() if source == "weekends")

    def describe(self) -> dict:
        return {str(year): source for year, source in sorted(self.years.items())}


def load(since: date) -> WorkCalendar:
    """The calendar from ``since`` on (admin dates are a few dozen a year: all are read)."""
    rows = db.session.execute(
        select(CalendarDay.day, CalendarDay.is_working).where(CalendarDay.day >= since - timedelta(days=7))
    ).all()
    overrides = {day: working for day, working in rows}
    entered = set(db.session.scalars(select(extract("year", CalendarDay.day)).distinct()))
    return WorkCalendar(overrides, {int(y) for y in entered})


def year_is_entered(year: int) -> bool:
    first, last = date(year, 1, 1), date(year, 12, 31)
    return db.session.scalar(select(CalendarDay.id).where(CalendarDay.day.between(first, last)).limit(1)) is not None


def calendar_page(year: int) -> str:
    """Where admins enter a year's dates (the admin pages' calendar, hotline.web.admin)."""
    return f"/admin/calendar?year={year}"


def warn_missing_years(years, *, now: datetime, context: str) -> None:
    """Log and record (once per year) that ``years`` are counted on weekends only."""
    for year in years:
        message = (
            f"{year} 年节假日数据缺失：{PACKAGE} 与管理员录入均无该年数据，工作时间暂按周一至周五计算。"
            f"请系统管理员在“系统管理 → 节假日日历”页面（{calendar_page(year)}）"
            f"录入 {year} 年的法定节假日和调休工作日。"
        )
        first = db.session.execute(
            upsert_insert(CalendarWarning)
            .values(year=year, message=message, first_seen_at=now)
            .on_conflict_do_nothing(index_elements=["year"])
            .returning(CalendarWarning.id)
        ).scalar_one_or_none()
        # Loud the first time (the admins' list has it from then on), quiet afterwards.
        log.log(
            logging.WARNING if first is not None else logging.DEBUG,
            "calendar: no holiday data for %s (%s); counting Monday-Friday as working days",
            year,
            context,
        )


def check_coverage(now: datetime, *, days_ahead: int = 45) -> list[int]:
    """Warn ahead of time about years the next ``days_ahead`` days reach and nobody knows."""
    missing = []
    for year in sorted({now.year, (now + timedelta(days=days_ahead)).year}):
        if not package_knows(year) and not year_is_entered(year):
            missing.append(year)
    if missing:
        warn_missing_years(missing, now=now, context="coverage check")
    return missing


# --- admin services -------------------------------------------------------------------


def add_day(*, actor, now: datetime, day: date, is_working: bool, note: str | None) -> CalendarDay:
    """Enter a holiday or a working day (audited). Applies to deadlines computed afterwards."""
    from ..audit.services import record
    from ..core.errors import Conflict

    if db.session.scalar(select(CalendarDay.id).where(CalendarDay.day == day)) is not None:
        raise Conflict(
            f"{day.isoformat()} is entered already; delete it first to change it.",
            message_zh="该日期已录入，如需修改请先删除。",
            code="duplicate",
            field="date",
        )
    row = CalendarDay(
        day=day, is_working=is_working, note=note, created_by_id=getattr(actor, "id", None), created_at=now
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor=actor,
        action="calendar_day.create",
        object_type="calendar_day",
        object_id=day.isoformat(),
        now=now,
        data={"is_working": is_working, "note": note},
    )
    return row


MAX_RANGE_DAYS = 31


def add_days(*, actor, now: datetime, first: date, last: date, is_working: bool, note: str | None) -> list[CalendarDay]:
    """Enter every date from ``first`` to ``last`` (a holiday of several days, e.g. 春节),
    each audited; all or nothing (a date entered already refuses the whole range)."""
    from ..core.errors import InvalidInput

    if last < first:
        raise InvalidInput("The last date is before the first.", message_zh="结束日期不能早于开始日期。", field="last")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"At most {MAX_RANGE_DAYS} days at once.",
            message_zh=f"一次最多录入 {MAX_RANGE_DAYS} 天。",
            field="last",
        )
    count = (last - first).days + 1
    return [
        add_day(actor=actor, now=now, day=first + timedelta(days=i), is_working=is_working, note=note)
        for i in range(count)
    ]


def year_days(year: int) -> list[tuple[date, bool, str]]:
    """Every date of ``year`` as the deadline arithmetic counts it now: (date, working,
    source), the source being "admin" (an entered date), "package" (chinesecalendar) or
    "weekends" (nobody knows the year: Monday to Friday)."""
    calendar = load(date(year, 1, 1))
    known = package_knows(year)
    result = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        if day in calendar.overrides:
            source = "admin"
        elif known:
            source = "package"
        else:
            source = "weekends"
        result.append((day, working, source))
        day += timedelta(days=1)
    return result


def delete_day(row: CalendarDay, *, actor, now: datetime) -> None:
    from ..audit.services import record

    record(
        actor=actor,
        action="calendar_day.delete",
        object_type="calendar_day",
        object_id=row.day.isoformat(),
        now=now,
        data={"is_working": row.is_working, "note": row.note},
    )
    db.session.delete(row)
    db.session.flush()


def days(year: int | None = None) -> list[CalendarDay]:
    stmt = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        stmt = stmt.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(db.session.scalars(stmt))


def warnings() -> list[tuple[CalendarWarning, bool]]:
    """Each warning and whether it is resolved (the year is known now)."""
    rows = db.session.scalars(select(CalendarWarning).order_by(CalendarWarning.year)).all()
    return [(w, package_knows(w.year) or year_is_entered(w.year)) for w in rows]
