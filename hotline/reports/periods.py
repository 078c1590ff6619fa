"""Periods of the reports: a month in the centre's time zone, or any range of local dates.

A :class:`Period` is ``[start, end)`` in aware UTC datetimes. Bad input raises
:class:`~hotline.core.errors.InvalidInput` (422) naming the field, with a Chinese message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.errors import InvalidInput

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC; ``label`` is what a page shows ("2026年11月")."""

    start: datetime
    end: datetime
    label: str
    kind: str = "range"  # "month" or "range"
    tz_name: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.zone).date()

    @property
    def last_day(self) -> date:
        """The last local date inside the period (``end`` is exclusive)."""
        return (self.end.astimezone(self.zone) - timedelta(microseconds=1)).date()

    @property
    def month(self) -> str | None:
        return self.first_day.strftime("%Y-%m") if self.kind == "month" else None

    def upto(self, now: datetime) -> datetime:
        """The end of what can be known: a period not yet over is computed as of ``now``."""
        return min(self.end, now)

    def query_args(self) -> dict[str, str]:
        """The period as the query parameters of a link (``month`` or ``from``/``to``)."""
        if self.kind == "month":
            return {"month": self.month}
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}

    def previous(self) -> Period:
        """The month before, or the range of the same length just before this one."""
        if self.kind == "month":
            first = self.first_day
            prev = date(first.year - (first.month == 1), 12 if first.month == 1 else first.month - 1, 1)
            return month_period(prev.strftime("%Y-%m"), self.tz_name)
        days = (self.last_day - self.first_day).days + 1
        return range_period(self.first_day - timedelta(days=days), self.first_day - timedelta(days=1), self.tz_name)

    def year_before(self) -> Period:
        """The same month (or the same dates) one year earlier; 29 February becomes the 28th."""
        if self.kind == "month":
            first = self.first_day
            return month_period(f"{first.year - 1:04d}-{first.month:02d}", self.tz_name)
        return range_period(_year_back(self.first_day), _year_back(self.last_day), self.tz_name)


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz_name!r}") from exc


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def month_period(month: str, tz_name: str = "Asia/Shanghai") -> Period:
    """The calendar month ``YYYY-MM`` in the centre's zone."""
    match = MONTH_RE.match(month or "") if isinstance(month, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise InvalidInput(
            f"month must be YYYY-MM, got {month!r}.", message_zh="月份格式应为 YYYY-MM，例如 2026-11。", field="month"
        )
    year, mon = int(match.group(1)), int(match.group(2))
    zone = _zone(tz_name)
    first = date(year, mon, 1)
    after = date(year + (mon == 12), 1 if mon == 12 else mon + 1, 1)
    return Period(_local_midnight(first, zone), _local_midnight(after, zone), f"{year}年{mon}月", "month", tz_name)


def parse_date(text: str, field: str) -> date:
    match = DATE_RE.match(text or "") if isinstance(text, str) else None
    try:
        if not match:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date YYYY-MM-DD, got {text!r}.",
            message_zh="日期格式应为 YYYY-MM-DD，例如 2026-11-01。",
            field=field,
        ) from None


def range_period(first: date, last: date, tz_name: str = "Asia/Shanghai") -> Period:
    """The local dates ``first`` to ``last`` inclusive."""
    if first > last:
        raise InvalidInput("from must not be after to.", message_zh="开始日期不能晚于结束日期。", field="from")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"A range may cover at most {MAX_RANGE_DAYS} days.", message_zh="统计区间最长为三年。", field="to"
        )
    zone = _zone(tz_name)
    label = f"{first:%Y年%m月%d日}至{last:%Y年%m月%d日}"
    return Period(
        _local_midnight(first, zone), _local_midnight(last + timedelta(days=1), zone), label, "range", tz_name
    )


def parse_range(from_date: str, to_date: str, tz: str = "Asia/Shanghai") -> Period:
    """``from``/``to`` as given in a query string (both inclusive local dates)."""
    return range_period(parse_date(from_date, "from"), parse_date(to_date, "to"), tz)


def from_args(args, *, now: datetime, tz_name: str) -> Period:
    """The period a request asks for: ``month``, or ``from`` and ``to``; by default the
    current month in the centre's zone."""
    month, first, last = args.get("month"), args.get("from"), args.get("to")
    if month and (first or last):
        raise InvalidInput(
            "Give either month or from/to, not both.",
            message_zh="请选择按月份或按日期区间统计，不能同时指定。",
            field="month",
        )
    if first or last:
        if not first:
            raise InvalidInput("Give from as well as to.", message_zh="请填写开始日期。", field="from")
        if not last:
            raise InvalidInput("Give to as well as from.", message_zh="请填写结束日期。", field="to")
        return parse_range(first, last, tz_name)
    if month:
        return month_period(month, tz_name)
    return month_period(now.astimezone(_zone(tz_name)).strftime("%Y-%m"), tz_name)
