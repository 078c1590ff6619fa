"""How a deadline was computed, in words, and the same computation redone from events.

:func:`explanation` writes the Chinese sentence shown with every deadline, e.g.
"派单时间 2026年11月21日 10:00 起算，工作时间 22 小时（每日 08:30-12:00、14:00-18:00；
2026 年法定节假日及调休已排除），经延期 48 小时，应于 … 前答复。"

:func:`recompute_from_events` rebuilds the accept and reply deadlines of a ticket from
its events alone (the dispatch and reopen events keep the policy in force; the
extension decisions keep the hours), to check the stored deadlines against.
"""

from __future__ import annotations

from datetime import datetime

from ..core import clock
from . import arithmetic
from .models import STOP_REASON_LABELS, Deadline, DeadlineKind, StopReason
from .policies import Terms

VERB = {DeadlineKind.ACCEPT: "签收", DeadlineKind.REPLY: "答复", DeadlineKind.RECTIFICATION: "完成整改"}
START = {
    DeadlineKind.ACCEPT: "派单时间",
    DeadlineKind.REPLY: "派单时间",
    DeadlineKind.RECTIFICATION: "整改通知下达时间",
}
YEAR_SOURCE = {
    "package": "{year} 年法定节假日已排除、调休工作日已计入",
    "admin": "{year} 年按管理员录入的节假日和调休日计算",
    "weekends": "{year} 年暂无节假日数据，仅排除周末",
}


def when(value: datetime | None) -> str:
    local = clock.local(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" if local else ""


def hours_text(hours: float | None) -> str:
    if hours is None:
        return ""
    return f"{hours:g}"


def _clock_text(deadline: Deadline) -> str:
    calendar = deadline.calendar or {}
    hours = hours_text(deadline.base_hours)
    if calendar.get("mode") != arithmetic.WORKING:
        if deadline.kind == DeadlineKind.RECTIFICATION:
            return f"整改期限 {hours} 小时（自然时间）"
        return f"自然时间 {hours} 小时"
    periods = "、".join(p.strip() for p in (calendar.get("working_hours") or "").split(","))
    years = "；".join(YEAR_SOURCE[src].format(year=y) for y, src in sorted((calendar.get("years") or {}).items()))
    return f"工作时间 {hours} 小时（每日 {periods}；{years}）" if years else f"工作时间 {hours} 小时（每日 {periods}）"


def explanation(deadline: Deadline) -> str:
    kind = DeadlineKind(deadline.kind)
    policy = deadline.policy or {}
    parts = [f"{START[kind]} {when(deadline.started_at)} 起算，{_clock_text(deadline)}"]
    if deadline.extension_hours:
        total = hours_text((deadline.base_hours or 0) + deadline.extension_hours)
        parts.append(f"经延期 {hours_text(deadline.extension_hours)} 小时（共 {total} 小时）")
    parts.append(f"应于 {when(deadline.due_at)} 前{VERB[kind]}")
    sentence = "，".join(parts) + "。"
    points = []
    if deadline.warn_at and policy.get("warn_ratio"):
        points.append(f"用时 {policy['warn_ratio'] * 100:g}% 即 {when(deadline.warn_at)} 起预警")
    if deadline.red_at and policy.get("red_ratio"):
        points.append(f"超过时限 {policy['red_ratio']:g} 倍即 {when(deadline.red_at)} 起记红牌")
    if points:
        sentence += "；".join(points) + "。"
    if policy.get("name"):
        version = f"（第 {policy['version']} 版）" if policy.get("version") else ""
        sentence += f"依据：{policy['name']}{version}。"
    if deadline.stopped_at:
        label = STOP_REASON_LABELS[StopReason(deadline.stop_reason)]
        sentence += f"已于 {when(deadline.stopped_at)} 停止计时（{label}）。"
    return sentence


def recompute_from_events(events, *, compute) -> list[dict]:
    """The accept and reply deadlines of a ticket, rebuilt from its events.

    ``compute(start, hours, terms)`` is the same function that computed the stored ones
    (:func:`hotline.sla.services.compute`). Returns, in order, one dict per deadline:
    kind, sequence, started_at, hours (with extensions), due_at, warn_at, red_at.
    """
    rounds: list[dict] = []
    current: dict[str, dict] = {}
    sequences = {DeadlineKind.ACCEPT.value: 0, DeadlineKind.REPLY.value: 0}
    for event in events:
        data = event.data or {}
        if event.action in ("dispatch", "reopen") and "sla" in data:
            terms = Terms.from_dict(data["sla"]["policy"])
            current = {}
            for kind, hours in ((DeadlineKind.ACCEPT, terms.accept_hours), (DeadlineKind.REPLY, terms.reply_hours)):
                if hours:
                    sequences[kind.value] += 1
                    entry = {
                        "kind": kind.value,
                        "sequence": sequences[kind.value],
                        "started_at": event.at,
                        "hours": hours,
                        "terms": terms,
                    }
                    current[kind.value] = entry
                    rounds.append(entry)
        elif event.action == "decide-extension" and data.get("approve") and "reply" in current:
            current["reply"]["hours"] += data["hours"]
    result = []
    for entry in rounds:
        points = compute(entry["started_at"], entry["hours"], entry["terms"]).points
        result.append(
            {
                "kind": entry["kind"],
                "sequence": entry["sequence"],
                "started_at": entry["started_at"],
                "hours": entry["hours"],
                "due_at": points.due_at,
                "warn_at": points.warn_at,
                "red_at": points.red_at,
            }
        )
    return result
