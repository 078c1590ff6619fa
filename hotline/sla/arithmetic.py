"""Deadline arithmetic: the one place that turns a start, a number of hours and a clock
into instants. Pure Python: every function takes the times and the calendar it needs.

A member unit must reply within 22 hours of dispatch (22小时内答复). The clock starts at
dispatch, not at acceptance.

The rule at the boundary (one rule for every point: warning, deadline, red card):
a point P is *passed* when ``now > P``. A reply at exactly the deadline is on time; a
sweep at exactly the deadline records nothing; a sweep one microsecond later records
the ticket overdue.

Two clocks:

- natural hours (``natural``, the default): ``start + hours``;
- working time (``working``): only the working periods (e.g. 08:30–12:00 and
  14:00–18:00 local time) of working days count. Which days are working days is the
  calendar's business (:mod:`hotline.sla.calendars`: statutory holidays off, the
  adjusted working weekends 调休 on); here it is a function ``date -> bool``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_REPLY_HOURS = 22
DEFAULT_WARN_RATIO = 0.8
DEFAULT_RED_RATIO = 2.0
DEFAULT_WORKING_HOURS = "08:30-12:00,14:00-18:00"

NATURAL = "natural"
WORKING = "working"
CLOCK_MODES = (NATURAL, WORKING)

# A working-time deadline never needs more than this many days of calendar to reach;
# beyond it the calendar is wrong (every day a holiday), which is refused, not looped on.
MAX_CALENDAR_DAYS = 3 * 366

_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """The working periods or the calendar cannot produce a deadline."""


def parse_working_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"08:30-12:00,14:00-18:00"`` → ((08:30, 12:00), (14:00, 18:00)); ordered, no overlap."""
    periods: list[tuple[int, int]] = []
    for part in (text or "").split(","):
        match = _PERIOD.match(part.strip())
        if not match:
            raise CalendarError(f"working period {part.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end > 24 * 60 or start >= end:
            raise CalendarError(f"working period {part.strip()!r} ends before it starts")
        if periods and start < periods[-1][1]:
            raise CalendarError("working periods must be in order and must not overlap")
        periods.append((start, end))
    return tuple((_minutes_to_time(s), _minutes_to_time(e)) for s, e in periods)


def _minutes_to_time(minutes: int) -> time:
    return time.max if minutes == 24 * 60 else time(minutes // 60, minutes % 60)


def add_natural(start: datetime, hours: float) -> datetime:
    return start + timedelta(seconds=round(hours * 3600))


def add_working(
    start: datetime,
    hours: float,
    *,
    periods,
    is_working_day: Callable[[date], bool],
    zone: ZoneInfo,
) -> datetime:
    """``start`` plus ``hours`` of working time.

    Time outside the working periods does not count: a ticket dispatched at 19:00 starts
    counting at 08:30 the next working day. When the budget runs out exactly at the end
    of a period, the deadline is that instant (12:00), not the start of the next (14:00).
    """
    remaining = float(round(hours * 3600))
    if remaining < 0:
        raise CalendarError("hours must not be negative")
    if not periods:
        raise CalendarError("no working periods")
    local = start.astimezone(zone)
    day = local.date()
    for _ in range(MAX_CALENDAR_DAYS):
        if is_working_day(day):
            for p_start, p_end in periods:
                period_start = _at(day, p_start, zone)
                period_end = _at(day, p_end, zone)
                begin = max(period_start, local)
                if begin >= period_end:
                    continue
                available = (period_end - begin).total_seconds()
                if remaining <= available:
                    return (begin + timedelta(seconds=remaining)).astimezone(UTC)
                remaining -= available
        day += timedelta(days=1)
    raise CalendarError(f"no working time within {MAX_CALENDAR_DAYS} days: check the calendar")


def _at(day: date, t: time, zone: ZoneInfo) -> datetime:
    if t == time.max:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day, t, tzinfo=zone)


@dataclass(frozen=True)
class Points:
    """The instants of one deadline: the warning, the deadline itself, the red card."""

    due_at: datetime
    warn_at: datetime | None
    red_at: datetime | None


def points(
    start: datetime,
    hours: float,
    *,
    warn_ratio: float | None = DEFAULT_WARN_RATIO,
    red_ratio: float | None = DEFAULT_RED_RATIO,
    mode: str = NATURAL,
    periods=(),
    is_working_day: Callable[[date], bool] | None = None,
    zone: ZoneInfo | None = None,
) -> Points:
    """The warning (``warn_ratio`` of the time used), the deadline (all of it) and the red
    card (``red_ratio`` times the time), each counted on the same clock from ``start``.

    ``hours`` is the whole allowance: the policy's hours plus approved extensions.
    """
    if mode == NATURAL:

        def add(h):
            return add_natural(start, h)

    elif mode == WORKING:
        if is_working_day is None or zone is None:
            raise CalendarError("working time needs a calendar and a time zone")

        def add(h):
            return add_working(start, h, periods=periods, is_working_day=is_working_day, zone=zone)

    else:
        raise CalendarError(f"unknown clock mode {mode!r}")
    return Points(
        due_at=add(hours),
        warn_at=add(hours * warn_ratio) if warn_ratio else None,
        red_at=add(hours * red_ratio) if red_ratio else None,
    )


def reply_due_at(dispatched_at: datetime, hours: int | float = DEFAULT_REPLY_HOURS) -> datetime:
    """The default reply deadline: ``hours`` natural hours after dispatch."""
    return add_natural(dispatched_at, hours)


def is_passed(point: datetime | None, now: datetime) -> bool:
    """The one boundary rule: a point is passed strictly after it."""
    return point is not None and now > point


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    return is_passed(due_at, now)
