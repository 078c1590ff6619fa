"""Periods: months and ranges in the centre's zone, and refusals of bad input."""

from datetime import UTC, datetime

import pytest

from hotline.core.errors import InvalidInput
from hotline.reports.periods import from_args, month_period, parse_range

TZ = "Asia/Shanghai"


def test_a_month_is_local():
    p = month_period("2026-11", TZ)
    assert p.start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert p.label == "2026年11月" and p.month == "2026-11"
    assert p.previous() == month_period("2026-10", TZ)
    assert p.year_before() == month_period("2025-11", TZ)
    assert month_period("2026-01", TZ).previous() == month_period("2025-12", TZ)


def test_a_range_includes_both_days():
    p = parse_range("2026-11-01", "2026-11-10", TZ)
    assert p.start == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 10, 16, tzinfo=UTC)
    assert p.previous() == parse_range("2026-10-22", "2026-10-31", TZ)
    assert p.year_before() == parse_range("2025-11-01", "2025-11-10", TZ)
    assert p.query_args() == {"from": "2026-11-01", "to": "2026-11-10"}
    assert parse_range("2028-02-29", "2028-02-29", TZ).year_before() == parse_range("2027-02-28", "2027-02-28", TZ)


def test_upto_stops_at_now():
    p = month_period("2026-11", TZ)
    now = datetime(2026, 11, 21, 2, tzinfo=UTC)
    assert p.upto(now) == now
    assert p.upto(datetime(2027, 1, 1, tzinfo=UTC)) == p.end


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-1"}, "month"),
        ({"month": "２０２６-11"}, "month"),
        ({"month": "2026-11\x00"}, "month"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "from"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
        ({"from": "2026-11-01"}, "to"),
        ({"to": "2026-11-01"}, "from"),
        ({"month": "2026-11", "from": "2026-11-01", "to": "2026-11-02"}, "month"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_periods_are_422_with_the_field(args, field):
    with pytest.raises(InvalidInput) as exc:
        from_args(args, now=datetime(2026, 11, 21, tzinfo=UTC), tz_name=TZ)
    assert exc.value.status == 422 and exc.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message_zh)


def test_the_default_is_the_current_local_month():
    now = datetime(2026, 11, 30, 17, tzinfo=UTC)  # already 1 December in Shanghai
    assert from_args({}, now=now, tz_name=TZ) == month_period("2026-12", TZ)
