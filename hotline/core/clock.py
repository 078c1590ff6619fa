"""The only way code reads "now".

Services take ``now`` as an argument; views, jobs and CLI commands call :func:`now`.
Tests freeze time by putting a callable in ``app.config["CLOCK"]``.
All times are aware and in UTC; :func:`local` converts for display.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    if has_app_context():
        override = current_app.config.get("CLOCK")
        if override is not None:
            value = override()
            return ensure_utc(value)
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: every time in this system carries its zone")
    return value.astimezone(UTC)


def local_zone() -> ZoneInfo:
    if has_app_context():
        return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    return SHANGHAI


def local(value: datetime | None) -> datetime | None:
    """The same instant in the centre's time zone (Asia/Shanghai by default)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: every time in this system carries its zone")
    return value.astimezone(local_zone())


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 in the centre's zone with its offset, e.g. 2026-11-21T09:30:00+08:00."""
    if value is None:
        return None
    return local(value).isoformat(timespec="seconds")


def isoformatter(zone: ZoneInfo | None = None):
    """:func:`isoformat` for the many times of one answer: the zone looked up once (finding
    it costs several times what converting a time does)."""
    zone = zone or local_zone()

    def iso(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time in this system carries its zone")
        return value.astimezone(zone).isoformat(timespec="seconds")

    return iso


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without a zone is read as the centre's local time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(UTC)
