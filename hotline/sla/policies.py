"""Deadline policies: which allowance a ticket gets, and the admin services that edit them.

A policy is chosen by the ticket's request type and urgency; "*" matches any. The most
specific active policy wins, urgency before request type: (type, urgency) > (*, urgency)
> (type, *) > (*, *). With no policy at all, the built-in default applies: 22 natural
hours to reply, a warning at 80% of the time, a red card at twice the time, no accept
deadline.

Deadlines store the policy's terms as a snapshot (:class:`Terms`), so editing a policy
changes tickets dispatched afterwards, never the clocks already running: at once through the
process that made the change, within ``HOTLINE_SETTINGS_CACHE_SECONDS`` through the others
(the terms are kept in each process: ``hotline.core.kept``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from ..audit.services import record
from ..core import kept
from ..core.errors import Conflict, InvalidInput
from ..extensions import db
from . import arithmetic
from .models import ANY, SlaPolicy

KEPT = "sla_terms"  # the terms kept in the process, by request type and urgency


@dataclass(frozen=True)
class Terms:
    """A policy as a deadline sees it: plain values, stored as JSON on the deadline."""

    policy_id: int | None
    name: str
    version: int
    request_type: str
    urgency: str
    accept_hours: float | None
    reply_hours: float
    warn_ratio: float | None
    red_ratio: float | None
    clock_mode: str
    working_hours: str

    def as_dict(self) -> dict:
        # Every field is a plain value: no deep copy needed (dataclasses.asdict costs about
        # 160 Python calls, and a dispatch asks three times).
        return {name: getattr(self, name) for name in _TERMS_FIELDS}

    @classmethod
    def from_dict(cls, data: dict) -> Terms:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


_TERMS_FIELDS = tuple(f.name for f in fields(Terms))

BUILTIN = Terms(
    policy_id=None,
    name="默认时限（未配置时限规则）",
    version=0,
    request_type=ANY,
    urgency=ANY,
    accept_hours=None,
    reply_hours=arithmetic.DEFAULT_REPLY_HOURS,
    warn_ratio=arithmetic.DEFAULT_WARN_RATIO,
    red_ratio=arithmetic.DEFAULT_RED_RATIO,
    clock_mode=arithmetic.NATURAL,
    working_hours=arithmetic.DEFAULT_WORKING_HOURS,
)


def terms_of(policy: SlaPolicy) -> Terms:
    return Terms(
        policy_id=policy.id,
        name=policy.name,
        version=policy.version,
        request_type=policy.request_type,
        urgency=policy.urgency,
        accept_hours=policy.accept_hours,
        reply_hours=policy.reply_hours,
        warn_ratio=policy.warn_ratio,
        red_ratio=policy.red_ratio,
        clock_mode=policy.clock_mode,
        working_hours=policy.working_hours,
    )


def _specificity(policy: SlaPolicy) -> tuple[int, int]:
    return (policy.urgency != ANY, policy.request_type != ANY)


def terms_for(request_type: str, urgency: str) -> Terms:
    """The terms that apply now to a ticket of this request type and urgency (kept in the
    process for ``HOTLINE_SETTINGS_CACHE_SECONDS``: ``hotline.core.kept``)."""
    return kept.get((KEPT, request_type, urgency), lambda: _read_terms(request_type, urgency))


def _read_terms(request_type: str, urgency: str) -> Terms:
    candidates = db.session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.is_active.is_(True),
            SlaPolicy.request_type.in_((request_type, ANY)),
            SlaPolicy.urgency.in_((urgency, ANY)),
        )
    ).all()
    if not candidates:
        return BUILTIN
    return terms_of(max(candidates, key=_specificity))


# --- admin services -------------------------------------------------------------------

FIELDS = (
    "name",
    "request_type",
    "urgency",
    "accept_hours",
    "reply_hours",
    "warn_ratio",
    "red_ratio",
    "clock_mode",
    "working_hours",
    "is_active",
)


def _check(values: dict) -> None:
    """Rules across fields (single fields are checked by the schema)."""
    try:
        arithmetic.parse_working_hours(values["working_hours"])
    except arithmetic.CalendarError as exc:
        raise InvalidInput(
            f"working_hours: {exc}", message_zh="工作时段格式应为 08:30-12:00,14:00-18:00。", field="working_hours"
        ) from None
    accept, reply = values.get("accept_hours"), values["reply_hours"]
    if accept is not None and accept > reply:
        raise InvalidInput(
            "accept_hours cannot be longer than reply_hours.",
            message_zh="签收时限不能长于答复时限。",
            field="accept_hours",
        )


def _refuse_duplicate(request_type: str, urgency: str, *, except_id: int | None = None) -> None:
    existing = db.session.scalar(
        select(SlaPolicy).where(SlaPolicy.request_type == request_type, SlaPolicy.urgency == urgency)
    )
    if existing is not None and existing.id != except_id:
        raise Conflict(
            f"A policy for {request_type}/{urgency} exists already (id {existing.id}); change that one.",
            message_zh="该诉求类型与紧急程度的时限规则已存在，请修改原规则。",
            code="duplicate",
            field="request_type",
        )


def create_policy(*, actor, now: datetime, values: dict) -> SlaPolicy:
    values = {
        "clock_mode": arithmetic.NATURAL,
        "working_hours": arithmetic.DEFAULT_WORKING_HOURS,
        "is_active": True,
    } | values
    _check(values)
    _refuse_duplicate(values["request_type"], values["urgency"])
    policy = SlaPolicy(**{k: values.get(k) for k in FIELDS}, version=1, created_at=now, updated_at=now)
    db.session.add(policy)
    db.session.flush()
    kept.forget_after_commit(KEPT)
    record(
        actor=actor,
        action="sla_policy.create",
        object_type="sla_policy",
        object_id=policy.id,
        now=now,
        data={k: values.get(k) for k in FIELDS},
    )
    return policy


def update_policy(policy: SlaPolicy, *, actor, now: datetime, changes: dict) -> SlaPolicy:
    """Change a policy; its version goes up. Running deadlines keep their snapshot."""
    merged = {k: getattr(policy, k) for k in FIELDS} | changes
    _check(merged)
    if "request_type" in changes or "urgency" in changes:
        _refuse_duplicate(merged["request_type"], merged["urgency"], except_id=policy.id)
    before = {k: getattr(policy, k) for k in changes}
    for key, value in changes.items():
        setattr(policy, key, value)
    policy.version += 1
    policy.updated_at = now
    db.session.flush()
    kept.forget_after_commit(KEPT)
    record(
        actor=actor,
        action="sla_policy.update",
        object_type="sla_policy",
        object_id=policy.id,
        now=now,
        data={"before": before, "after": changes, "version": policy.version},
    )
    return policy
