"""Deadline arithmetic (pure): natural hours, working time on the Chinese calendar, the boundary."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.sla import arithmetic as sla
from hotline.sla.arithmetic import CalendarError, add_working, is_passed, parse_working_hours, points
from hotline.sla.calendars import WorkCalendar, package_knows

from ..conftest import FROZEN_NOW

pytestmark = pytest.mark.any_database  # see BOTH_DATABASES in tests/conftest.py

SH = ZoneInfo("Asia/Shanghai")
PERIODS = parse_working_hours(sla.DEFAULT_WORKING_HOURS)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def working(start, hours, calendar=None):
    calendar = calendar or WorkCalendar({}, set())
    return add_working(start, hours, periods=PERIODS, is_working_day=calendar.is_working_day, zone=SH).astimezone(SH)


def test_natural_22_hours_and_the_points():
    p = points(FROZEN_NOW, 22)
    assert p.due_at == datetime(2026, 11, 22, 0, 0, tzinfo=UTC)  # 08:00 next morning in Shanghai
    assert p.warn_at == FROZEN_NOW + timedelta(hours=17, minutes=36)  # 80% of 22 h
    assert p.red_at == FROZEN_NOW + timedelta(hours=44)  # twice the time
    assert sla.reply_due_at(FROZEN_NOW) == p.due_at


def test_the_22_hour_boundary_one_rule():
    due = sla.reply_due_at(FROZEN_NOW)
    assert not sla.is_overdue(due, due)  # exactly at the deadline: on time
    assert sla.is_overdue(due, due + timedelta(microseconds=1))
    assert not is_passed(due, due - timedelta(seconds=1))
    assert not is_passed(None, due)


def test_natural_hours_cross_the_year_without_a_calendar():
    assert points(local(2026, 12, 31, 20, 0), 22).due_at.astimezone(SH) == local(2027, 1, 1, 18, 0)


def test_working_time_skips_the_evening_and_the_weekend():
    assert working(local(2026, 11, 20, 17, 0), 2) == local(2026, 11, 23, 9, 30)  # Fri 17:00 → Mon 09:30
    assert working(local(2026, 11, 21, 10, 0), 1) == local(2026, 11, 23, 9, 30)  # dispatched on a Saturday


def test_working_time_ends_at_the_end_of_a_period_not_after_the_break():
    assert working(local(2026, 11, 23, 8, 30), 3.5) == local(2026, 11, 23, 12, 0)
    assert working(local(2026, 11, 23, 12, 30), 0.5) == local(2026, 11, 23, 14, 30)  # lunch does not count
    assert working(local(2026, 11, 23, 7, 0), 7.5) == local(2026, 11, 23, 18, 0)


def test_working_time_across_the_national_day_holiday_and_its_adjusted_saturday():
    # 30 Sep 2026 (Wed) 17:00: 1 h that day; 1–7 Oct are holidays; 8, 9 Oct count 7.5 h
    # each; Saturday 10 Oct is an adjusted working day (调休): 3.5 h + 2.5 h → 16:30.
    assert working(local(2026, 9, 30, 17, 0), 22) == local(2026, 10, 10, 16, 30)


def test_working_time_across_a_month_end():
    assert working(local(2026, 11, 30, 16, 0), 7.5) == local(2026, 12, 1, 16, 0)


def test_a_deadline_set_on_new_years_eve_2026_reaches_into_2027_and_falls_back_to_weekends():
    assert package_knows(2026) and not package_knows(2027)
    calendar = WorkCalendar({}, set())
    # 31 Dec (Thu) 19:00: nothing left that day; 2027 is unknown, so Fri 1 Jan counts.
    assert working(local(2026, 12, 31, 19, 0), 22, calendar) == local(2027, 1, 5, 17, 30)
    assert calendar.fallback_years == [2027]
    assert calendar.describe() == {"2026": "package", "2027": "weekends"}


def test_admin_entered_dates_decide_an_unknown_year():
    calendar = WorkCalendar({date(2027, 1, 1): False}, {2027})
    assert working(local(2026, 12, 31, 19, 0), 22, calendar) == local(2027, 1, 6, 17, 30)
    assert calendar.fallback_years == []
    assert calendar.describe()["2027"] == "admin"
    # An admin entry also overrides the package: a known year's Saturday made a working day.
    override = WorkCalendar({date(2026, 11, 21): True}, {2026})
    assert working(local(2026, 11, 20, 17, 0), 2, override) == local(2026, 11, 21, 9, 30)


def test_extension_hours_count_on_the_same_clock():
    start = local(2026, 11, 20, 17, 0)
    base = points(
        start, 22, mode="working", periods=PERIODS, is_working_day=WorkCalendar({}, set()).is_working_day, zone=SH
    )
    extended = points(
        start, 22 + 48, mode="working", periods=PERIODS, is_working_day=WorkCalendar({}, set()).is_working_day, zone=SH
    )
    assert extended.due_at > base.due_at and extended.warn_at > base.warn_at and extended.red_at > base.red_at
    assert points(FROZEN_NOW, 22 + 48).due_at == FROZEN_NOW + timedelta(hours=70)


def test_points_can_be_switched_off():
    p = points(FROZEN_NOW, 2, warn_ratio=None, red_ratio=None)
    assert p.warn_at is None and p.red_at is None and p.due_at == FROZEN_NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "8:30-12:00",
        "08:30-12:00,11:00-18:00",
        "12:00-08:30",
        "08:30-12:60",
        "25:00-26:00",
        "08:30-12:00;14:00-18:00",
    ],
)
def test_bad_working_hours_are_refused(text):
    with pytest.raises(CalendarError):
        parse_working_hours(text)


def test_working_hours_parse_and_a_calendar_with_no_working_day_is_refused_not_looped_on():
    assert parse_working_hours("00:00-24:00")[0][0].hour == 0
    with pytest.raises(CalendarError, match="no working time"):
        add_working(FROZEN_NOW, 1, periods=PERIODS, is_working_day=lambda d: False, zone=SH)
    with pytest.raises(CalendarError):
        points(FROZEN_NOW, 1, mode="lunar")
