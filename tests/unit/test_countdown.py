"""The countdown's words and colour (hotline.sla.countdown): the edge cases people see."""

from datetime import UTC, datetime, timedelta

import pytest

from hotline.sla.countdown import (
    NORMAL,
    OVERDUE,
    WARNING,
    countdown,
    duration_zh,
    format_countdown,
    since_zh,
    tone,
)

pytestmark = pytest.mark.any_database

DUE = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def at(**delta):
    """``now`` this far from the deadline (negative: before it)."""
    return DUE + timedelta(**delta)


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (at(hours=-3, minutes=-12), "剩余 3 小时 12 分"),
        (
            at(hours=-3, minutes=-12, seconds=-59),
            "剩余 3 小时 12 分",
        ),  # minutes round down: never more time than there is
        (at(hours=-5), "剩余 5 小时"),
        (at(minutes=-45), "剩余 45 分钟"),
        (at(minutes=-1), "剩余 1 分钟"),
        (at(seconds=-59), "剩余不到 1 分钟"),
        (at(), "剩余不到 1 分钟"),  # at exactly the deadline it is still on time (now > due is late)
        (at(microseconds=1), "已超时不到 1 分钟"),
        (at(seconds=60), "已超时 1 分钟"),
        (at(hours=5), "已超时 5 小时"),
        (at(hours=5, minutes=59, seconds=59), "已超时 5 小时 59 分"),
        (at(hours=-24), "剩余 1 天"),
        (at(hours=-27, minutes=-30), "剩余 1 天 3 小时"),  # days drop the minutes
        (at(days=3, hours=2, minutes=5), "已超时 3 天 2 小时"),
        (at(days=-40), "剩余 40 天"),
    ],
)
def test_format_countdown(now, words):
    assert format_countdown(DUE, now) == words


def test_duration_is_the_same_either_side():
    assert duration_zh(timedelta(hours=2, minutes=3)) == duration_zh(timedelta(hours=-2, minutes=-3)) == "2 小时 3 分"
    assert duration_zh(timedelta(0)) == "不到 1 分钟"


@pytest.mark.parametrize(
    ("now", "warn_at", "expected"),
    [
        (at(hours=-5), at(hours=-4), NORMAL),
        (at(hours=-4), at(hours=-4), NORMAL),  # at the warning point: not yet passed
        (at(hours=-4, seconds=1), at(hours=-4), WARNING),
        (at(), at(hours=-4), WARNING),  # at the deadline: a warning, not late
        (at(microseconds=1), at(hours=-4), OVERDUE),
        (at(days=9), at(hours=-4), OVERDUE),
        # Without a warning point: the last two hours are a warning.
        (at(hours=-2), None, NORMAL),
        (at(hours=-2, seconds=1), None, WARNING),
        (at(seconds=1), None, OVERDUE),
    ],
)
def test_tone(now, warn_at, expected):
    assert tone(DUE, now, warn_at) == expected


def test_countdown_carries_words_tone_and_minutes():
    c = countdown("reply", "答复时限", DUE, at(hours=-1, minutes=-30), at(hours=-4))
    assert (c.text, c.tone, c.tone_label, c.minutes_left) == ("剩余 1 小时 30 分", WARNING, "临近期限", 90)
    late = countdown("accept", "签收时限", DUE, at(minutes=30))
    assert (late.text, late.tone, late.minutes_left) == ("已超时 30 分钟", OVERDUE, -30)


def test_since():
    assert since_zh(DUE, at(seconds=30)) == "刚刚"
    assert since_zh(DUE, at(hours=3, minutes=12)) == "3 小时 12 分前"
