"""Time left on a running deadline, as people say it, and its colour.

The one place that turns (now, deadline) into words ("剩余 3 小时 12 分", "已超时 5 小时")
and decides the colour (``normal`` / ``warning`` / ``overdue``). Pure: every function takes
``now``. The colour thresholds are the deadline's own points (:mod:`hotline.sla.arithmetic`):
``warning`` from its warning point (``warn_at``, e.g. 80% of the time used), ``overdue``
once the deadline itself has passed, with the watch's boundary rule (a point is passed
when ``now > point``: at exactly the deadline the ticket is still on time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .arithmetic import is_passed

NORMAL = "normal"
WARNING = "warning"
OVERDUE = "overdue"
TONES = (NORMAL, WARNING, OVERDUE)
TONE_LABELS = {NORMAL: "正常", WARNING: "临近期限", OVERDUE: "已超时"}

# Without a warning point (a policy with no warn ratio, or a plain due time), the last
# WARN_WITHOUT_POINT before the deadline are shown as a warning.
WARN_WITHOUT_POINT = timedelta(hours=2)

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def duration_zh(delta: timedelta) -> str:
    """A length of time in words, minutes rounded down: "3 天 4 小时", "3 小时 12 分",
    "5 小时", "45 分钟", "不到 1 分钟". Days drop the minutes (nobody counts them then)."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, _DAY)
    hours, rest = divmod(rest, _HOUR)
    minutes = rest // _MINUTE
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    if minutes:
        return f"{minutes} 分钟"
    return "不到 1 分钟"


def format_countdown(due_at: datetime, now: datetime) -> str:
    """ "剩余 3 小时 12 分" before the deadline (at exactly the deadline: "剩余不到 1 分钟"),
    "已超时 5 小时" after it."""
    if is_passed(due_at, now):
        return f"已超时 {duration_zh(now - due_at)}".replace("已超时 不到", "已超时不到")
    return f"剩余 {duration_zh(due_at - now)}".replace("剩余 不到", "剩余不到")


def tone(due_at: datetime, now: datetime, warn_at: datetime | None = None) -> str:
    """``overdue`` once the deadline has passed, ``warning`` once its warning point has
    (or, without one, in its last :data:`WARN_WITHOUT_POINT`), else ``normal``."""
    if is_passed(due_at, now):
        return OVERDUE
    point = warn_at if warn_at is not None else due_at - WARN_WITHOUT_POINT
    return WARNING if is_passed(point, now) else NORMAL


def since_zh(start: datetime, now: datetime) -> str:
    """How long ago: "3 小时 12 分前" (for "time since the reply")."""
    if now - start < timedelta(minutes=1):
        return "刚刚"
    return f"{duration_zh(now - start)}前"


@dataclass(frozen=True)
class Countdown:
    """One running deadline as a list or a ticket page shows it."""

    kind: str
    label: str  # 签收时限, 答复时限, 整改时限
    due_at: datetime
    text: str
    tone: str
    minutes_left: int  # negative when overdue

    @property
    def tone_label(self) -> str:
        return TONE_LABELS[self.tone]


def countdown(kind: str, label: str, due_at: datetime, now: datetime, warn_at: datetime | None = None) -> Countdown:
    return Countdown(
        kind=kind,
        label=label,
        due_at=due_at,
        text=format_countdown(due_at, now),
        tone=tone(due_at, now, warn_at),
        minutes_left=int((due_at - now).total_seconds() // 60),
    )
