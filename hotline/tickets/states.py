"""The ticket's life as one table: (status, action) → status. Pure Python.

    intake ──answered on call──────────────────────────────► closed
       └─► pending dispatch ─dispatch─► dispatched ─accept─► accepted ─reply─► replied
                 ▲                          │                    │               │
                 └────────return────────────┘◄───return──────────┘            callback
                                                          satisfied → closed, dissatisfied → reopen → dispatched

Only :func:`hotline.tickets.services.transition` applies this table to a ticket.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    PENDING_DISPATCH = "pending_dispatch"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REPLIED = "replied"
    CLOSED = "closed"
    MERGED = "merged"


class Action(StrEnum):
    ANSWER = "answer"
    SUBMIT = "submit"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    REPLY = "reply"
    REQUEST_EXTENSION = "request-extension"
    DECIDE_EXTENSION = "decide-extension"
    CALLBACK = "callback"
    # Not an endpoint of its own: a dissatisfied callback reopens the ticket.
    REOPEN = "reopen"
    MERGE = "merge"
    URGE = "urge"
    SUPERVISE = "supervise"
    NOTE = "note"


S, A = Status, Action

OPEN_STATES: frozenset[Status] = frozenset({S.NEW, S.PENDING_DISPATCH, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.REPLIED})
FINAL_STATES: frozenset[Status] = frozenset({S.CLOSED, S.MERGED})
# States in which a unit holds the ticket (its reply clock runs while dispatched/accepted).
WITH_UNIT_STATES: frozenset[Status] = frozenset({S.DISPATCHED, S.ACCEPTED, S.REPLIED})

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.NEW, A.ANSWER): S.CLOSED,
    (S.NEW, A.SUBMIT): S.PENDING_DISPATCH,
    (S.PENDING_DISPATCH, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.ACCEPT): S.ACCEPTED,
    (S.DISPATCHED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.RETURN): S.RETURNED,
    (S.ACCEPTED, A.REPLY): S.REPLIED,
    (S.ACCEPTED, A.REQUEST_EXTENSION): S.ACCEPTED,
    (S.ACCEPTED, A.DECIDE_EXTENSION): S.ACCEPTED,
    (S.REPLIED, A.CALLBACK): S.CLOSED,
    (S.REPLIED, A.REOPEN): S.DISPATCHED,
}
for _state in OPEN_STATES:
    TRANSITIONS[(_state, A.MERGE)] = S.MERGED
    TRANSITIONS[(_state, A.URGE)] = _state
    TRANSITIONS[(_state, A.SUPERVISE)] = _state
# Notes may be added while the ticket is open and after it is closed (follow-ups);
# a merged ticket lives on in the ticket it was merged into.
for _state in OPEN_STATES | {S.CLOSED}:
    TRANSITIONS[(_state, A.NOTE)] = _state
del _state

# The actions a client may ask for by name (POST /tickets/<number>/<action>).
API_ACTIONS: tuple[Action, ...] = tuple(a for a in Action if a is not A.REOPEN)

STATUS_LABELS = {
    S.NEW: "新建",
    S.PENDING_DISPATCH: "待派单",
    S.DISPATCHED: "已派单",
    S.ACCEPTED: "已签收",
    S.RETURNED: "已退单",
    S.REPLIED: "已答复",
    S.CLOSED: "已办结",
    S.MERGED: "已合并",
}

ACTION_LABELS = {
    A.ANSWER: "直接答复",
    A.SUBMIT: "提交派单",
    A.DISPATCH: "派单",
    A.ACCEPT: "签收",
    A.RETURN: "退单",
    A.REPLY: "答复",
    A.REQUEST_EXTENSION: "延期申请",
    A.DECIDE_EXTENSION: "延期审批",
    A.CALLBACK: "回访",
    A.REOPEN: "重办",
    A.MERGE: "合并",
    A.URGE: "催办",
    A.SUPERVISE: "督办",
    A.NOTE: "备注",
}


class TransitionRefused(Exception):
    """The action is not allowed from the ticket's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"{action.value} is not allowed when the ticket is {status.value}")
        self.status = status
        self.action = action


def next_status(status: Status | str, action: Action | str) -> Status:
    status, action = Status(status), Action(action)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionRefused(status, action) from None


def allowed_actions(status: Status | str) -> list[Action]:
    status = Status(status)
    return [a for a in Action if (status, a) in TRANSITIONS]


def is_open(status: Status | str) -> bool:
    return Status(status) in OPEN_STATES
