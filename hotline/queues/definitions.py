"""Which work queues each role has: the one table the pages, the menu and the counts read."""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import Role

TICKETS = "tickets"  # one row per ticket
DEADLINES = "deadlines"  # one row per running deadline (a ticket may be late to accept and to reply)
EXTENSIONS = "extensions"  # one row per extension request
NOTICES = "notices"  # one row per rectification notice


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    role: Role
    kind: str
    hint: str  # what the queue holds and in which order, shown under its title
    empty: str  # what an empty queue says
    action: str  # the link to the ticket's next step


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        Queue(
            "mine",
            "我登记的未提交",
            Role.OPERATOR,
            TICKETS,
            "您登记后尚未提交派单、也未直接答复的工单，登记最早的在前。",
            "没有待提交的工单。",
            "提交",
        ),
        Queue(
            "online",
            "网上来件",
            Role.OPERATOR,
            TICKETS,
            "网上留言、Open311接口送来、尚未提交派单的工单，送达最早的在前：阅读核实后提交派单或直接答复。",
            "没有待受理的网上来件。",
            "受理",
        ),
        Queue(
            "callbacks",
            "待回访",
            Role.OPERATOR,
            TICKETS,
            "单位已答复、等待回访的工单，答复最早的在前。",
            "没有待回访的工单。",
            "回访",
        ),
        Queue(
            "dispatch",
            "待派单",
            Role.DISPATCHER,
            TICKETS,
            "已提交、等待派单的工单，提交最早的在前；同区域、内容相近的来电合为一行，可一并派单。",
            "没有待派单的工单。",
            "派单",
        ),
        Queue(
            "returned",
            "退回件",
            Role.DISPATCHER,
            TICKETS,
            "承办单位退回的工单及退回理由，退回最早的在前。",
            "没有退回的工单。",
            "重新派单",
        ),
        Queue(
            "accept",
            "待签收",
            Role.UNIT_STAFF,
            TICKETS,
            "派给本单位、尚未签收的工单，签收期限最近的在前。",
            "没有待签收的工单。",
            "签收",
        ),
        Queue(
            "doing",
            "办理中",
            Role.UNIT_STAFF,
            TICKETS,
            "本单位已签收、尚未答复的工单，答复期限最近的在前。",
            "没有办理中的工单。",
            "答复",
        ),
        Queue(
            "extensions",
            "延期申请",
            Role.UNIT_STAFF,
            EXTENSIONS,
            "本单位待审批的延期申请，以及近三日的审批结果。",
            "没有待审批或近三日审批的延期申请。",
            "查看",
        ),
        Queue(
            "notices",
            "整改通知",
            Role.UNIT_STAFF,
            NOTICES,
            "下发给本单位、尚未回复的整改通知书，整改期限最近的在前。",
            "没有待回复的整改通知书。",
            "回复整改",
        ),
        Queue(
            "decide",
            "待审批延期",
            Role.SUPERVISOR,
            EXTENSIONS,
            "等待审批的延期申请，申请最早的在前。",
            "没有待审批的延期申请。",
            "审批",
        ),
        Queue(
            "due-soon",
            "两小时内到期",
            Role.SUPERVISOR,
            DEADLINES,
            "两小时内到期的签收、答复时限，最近的在前。",
            "两小时内没有到期的时限。",
            "查看",
        ),
        Queue(
            "overdue",
            "已超时",
            Role.SUPERVISOR,
            DEADLINES,
            "已超过签收或答复期限、仍在办理的工单，超时最久的在前。",
            "没有超时的工单。",
            "查看",
        ),
    )
}

# How long an extension request's decision stays in the unit's queue.
DECIDED_DAYS = 3
DUE_SOON_HOURS = 2


def queues_for(user) -> list[Queue]:
    """The role's queues, in the menu's order (none for admins and knowledge editors)."""
    if user.role == Role.UNIT_STAFF and user.unit_id is None:
        return []
    return [q for q in QUEUES.values() if q.role == user.role]
