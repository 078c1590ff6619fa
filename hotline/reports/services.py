"""Exemptions (考核免责), their reasons, and the score schemes. Audited; never commit.

Each step of an exemption is also a ticket event (``exemption_requested``,
``exemption_approved``, ``exemption_refused``), so the ticket's history shows it.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..core.errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from . import permissions
from .models import Exemption, ExemptionReason, ExemptionStatus, ScoreScheme
from .scores import DEFAULT_SCHEME, WEIGHTED_RATES

MAX_NOTE = 2000


def _text(value, field: str, *, required: bool, max_len: int = MAX_NOTE, message_zh: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"Give {field}.", message_zh=message_zh, field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.", message_zh="请填写文字内容。", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL byte.", message_zh="内容含有非法字符。", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is too long.", message_zh=f"内容不能超过 {max_len} 个字。", field=field)
    return value.strip()


def _ticket_event(ticket, action: str, *, actor, now: datetime, note: str | None, data: dict) -> None:
    from ..tickets.services import record_event  # the tickets domain owns its events

    record_event(ticket, action, actor=actor, now=now, note=note, data=data)


# --- exemptions -----------------------------------------------------------------------


def request_exemption(ticket, *, actor, now: datetime, reason_code: str, note: str) -> Exemption:
    """A unit's staff ask that ``ticket`` be left out of their unit's assessed figures."""
    if not permissions.can_request_exemption(actor, ticket):
        raise Forbidden(
            "Only the staff of a unit that leads or led this ticket may ask for an exemption.",
            message_zh="只有承办该工单的单位可以申请考核免责。",
            code="action_forbidden",
        )
    reason = db.session.scalar(select(ExemptionReason).where(ExemptionReason.code == reason_code))
    if reason is None or not reason.is_active:
        raise InvalidInput(f"Unknown reason {reason_code!r}.", message_zh="请选择有效的免责理由。", field="reason")
    note = _text(note, "note", required=True, message_zh="请填写免责说明。")
    exemption = Exemption(
        ticket_id=ticket.id,
        unit_id=actor.unit_id,
        reason_id=reason.id,
        note=note,
        status=ExemptionStatus.PENDING.value,
        requested_by_id=actor.id,
        requested_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(exemption)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "An exemption for this ticket is already pending or approved.",
            message_zh="该工单已有待审核或已批准的免责申请。",
            code="exemption_exists",
        ) from None
    data = {"exemption_id": exemption.id, "reason": reason.code, "reason_name": reason.name, "unit": actor.unit.code}
    _ticket_event(ticket, "exemption_requested", actor=actor, now=now, note=note, data=data)
    record(actor=actor, action="exemption.request", object_type="exemption", object_id=exemption.id, now=now, data=data)
    db.session.flush()
    return exemption


def decide_exemption(exemption: Exemption, *, actor, now: datetime, approve: bool, note: str | None) -> Exemption:
    """A supervisor approves or refuses a pending exemption."""
    if not permissions.can_decide_exemption(actor):
        raise Forbidden(
            "Only supervisors decide exemptions.", message_zh="只有督办人员可以审核免责申请。", code="action_forbidden"
        )
    if not isinstance(approve, bool):
        raise InvalidInput("approve must be true or false.", message_zh="请选择批准或不批准。", field="approve")
    note = _text(note, "note", required=not approve, message_zh="不批准时请填写理由。")
    if exemption.status != ExemptionStatus.PENDING.value:
        raise Conflict("This exemption was decided already.", message_zh="该免责申请已审核。", code="exemption_decided")
    exemption.status = (ExemptionStatus.APPROVED if approve else ExemptionStatus.REFUSED).value
    exemption.decided_by_id = actor.id
    exemption.decided_at = now
    exemption.decision_note = note
    data = {"exemption_id": exemption.id, "unit": exemption.unit.code, "reason": exemption.reason.code}
    action = "exemption_approved" if approve else "exemption_refused"
    _ticket_event(exemption.ticket, action, actor=actor, now=now, note=note, data=data)
    record(
        actor=actor,
        action="exemption.approve" if approve else "exemption.refuse",
        object_type="exemption",
        object_id=exemption.id,
        now=now,
        data=data | {"note": note},
    )
    db.session.flush()
    return exemption


# --- exemption reasons (admins) -------------------------------------------------------

# The reasons a centre starts with (migration 0007 inserts the same; the demo and the
# tests call ensure_default_reasons). Admins keep the list afterwards.
DEFAULT_REASONS = (
    ("malicious_or_repeated", "恶意来电或重复来电", "同一诉求反复来电、骚扰或恶意投诉。"),
    ("not_within_duties", "不属于本单位职责", "诉求依法不属于本单位职责范围，且已说明应由何单位办理。"),
    ("force_majeure", "不可抗力", "自然灾害、突发公共事件等不可抗力致使无法按期办理。"),
    ("unlawful_or_unreasonable", "诉求违法或无理", "诉求违反法律法规或明显不合理，无法满足。"),
    ("beyond_policy", "诉求超出现行政策规定", "诉求超出现行法律政策规定，暂无法解决，已向市民解释。"),
    ("citizen_unreachable", "市民无法联系或拒不配合", "多次联系市民未果，或市民拒不配合核实、办理。"),
    ("judicial_procedure", "已进入诉讼、仲裁或行政复议程序", "诉求已通过法定途径处理，依法不宜另行处理。"),
)


def ensure_default_reasons(*, now: datetime) -> int:
    """Insert the default reasons that are missing (by code); returns how many. Idempotent."""
    existing = set(db.session.scalars(select(ExemptionReason.code)))
    added = 0
    for order, (code, name, description) in enumerate(DEFAULT_REASONS, start=1):
        if code not in existing:
            db.session.add(
                ExemptionReason(
                    code=code,
                    name=name,
                    description=description,
                    is_active=True,
                    sort_order=order * 10,
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
    db.session.flush()
    return added


def create_reason(*, actor, now: datetime, values: dict) -> ExemptionReason:
    code = values["code"]
    if db.session.scalar(select(ExemptionReason).where(ExemptionReason.code == code)) is not None:
        raise Conflict(
            f"A reason with code {code!r} exists already.",
            message_zh="该代码的免责理由已存在。",
            code="duplicate",
            field="code",
        )
    reason = ExemptionReason(
        code=code,
        name=values["name"],
        description=values.get("description"),
        is_active=values.get("is_active", True),
        sort_order=values.get("sort_order", 0),
        created_at=now,
        updated_at=now,
    )
    db.session.add(reason)
    db.session.flush()
    record(
        actor=actor,
        action="exemption_reason.create",
        object_type="exemption_reason",
        object_id=reason.id,
        now=now,
        data={k: values.get(k) for k in ("code", "name", "description", "is_active", "sort_order")},
    )
    return reason


def update_reason(reason: ExemptionReason, *, actor, now: datetime, changes: dict) -> ExemptionReason:
    before = {k: getattr(reason, k) for k in changes}
    for key, value in changes.items():
        setattr(reason, key, value)
    reason.updated_at = now
    db.session.flush()
    record(
        actor=actor,
        action="exemption_reason.update",
        object_type="exemption_reason",
        object_id=reason.id,
        now=now,
        data={"before": before, "after": changes},
    )
    return reason


def delete_reason(reason: ExemptionReason, *, actor, now: datetime) -> None:
    """Delete an unused reason; a reason some exemption gave is deactivated instead (409)."""
    used = db.session.scalar(select(Exemption.id).where(Exemption.reason_id == reason.id).limit(1))
    if used is not None:
        raise Conflict(
            "This reason was given by exemptions; deactivate it instead.",
            message_zh="该理由已被免责申请使用，不能删除，请改为停用。",
            code="reason_in_use",
        )
    record(
        actor=actor,
        action="exemption_reason.delete",
        object_type="exemption_reason",
        object_id=reason.id,
        now=now,
        data={"code": reason.code, "name": reason.name},
    )
    db.session.delete(reason)
    db.session.flush()


# --- score schemes (admins) -----------------------------------------------------------

SCHEME_FIELDS = (*WEIGHTED_RATES, "yellow_card_penalty", "red_card_penalty")


def save_scheme(*, actor, now: datetime, values: dict, note: str | None = None) -> ScoreScheme:
    """Add the next version of the score scheme: the current one with ``values`` changed.
    Weights must add up to 100."""
    latest = db.session.scalar(select(ScoreScheme).order_by(ScoreScheme.version.desc()).limit(1))
    current = latest if latest is not None else DEFAULT_SCHEME
    merged = {name: getattr(current, name) for name in (*SCHEME_FIELDS, "name")} | values
    for name in SCHEME_FIELDS:
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise InvalidInput(f"{name} must be a number ≥ 0.", message_zh="权重和扣分应为不小于 0 的数。", field=name)
    total = sum(merged[name] for name in WEIGHTED_RATES)
    if abs(total - 100) > 1e-6:
        raise InvalidInput(
            f"The weights must add up to 100 (they add up to {total:g}).",
            message_zh=f"四项权重之和应为 100（当前为 {total:g}）。",
            field="weight_on_time",
        )
    version = (latest.version if latest is not None else 0) + 1
    scheme = ScoreScheme(
        version=version,
        name=merged["name"],
        note=note,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        **{name: float(merged[name]) for name in SCHEME_FIELDS},
    )
    db.session.add(scheme)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "Someone saved the scheme at the same time; reload and try again.",
            message_zh="考核方案已被他人修改，请刷新后重试。",
            code="concurrent_update",
        ) from None
    record(
        actor=actor,
        action="score_scheme.update",
        object_type="score_scheme",
        object_id=scheme.id,
        now=now,
        data={"version": version, "values": {k: merged[k] for k in (*SCHEME_FIELDS, "name")}, "note": note},
    )
    return scheme
