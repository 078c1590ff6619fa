"""Electronic supervision: open and close cases, orders, rectification notices, cards.

Services take the actor and ``now``, check the named permission, change state, append an
audit event, record the delivery to the external e-supervision system (``connector``),
and flush. They never commit. ``actor=None`` is the system (signal receivers).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select

from ..audit.services import record as audit
from ..core import txcache
from ..core.db import upsert_insert
from ..core.errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..notifications import services as notifications
from ..sla import services as deadlines
from ..tickets import services as tickets
from ..tickets.states import is_open
from ..units import queries as unit_queries
from . import connector, permissions
from .models import (
    Card,
    CaseOrder,
    CaseOrigin,
    CaseStatus,
    NoticeStatus,
    OrderKind,
    RectificationNotice,
    SupervisionCase,
)

# How rectification notices name their deadline in the deadline watch (hotline.sla).
NOTICE_DEADLINE_SOURCE = "rectification_notice"


def _refuse(message: str, message_zh: str):
    raise Forbidden(message, message_zh=message_zh, code="action_forbidden")


def _audit(actor, action: str, case: SupervisionCase, now: datetime, **data) -> None:
    audit(
        actor=actor,
        action=action,
        object_type="supervision_case",
        object_id=case.id,
        now=now,
        data={"ticket": case.ticket.number, **data},
    )


def open_case_for(ticket) -> SupervisionCase | None:
    return db.session.scalar(
        select(SupervisionCase).where(
            SupervisionCase.ticket_id == ticket.id, SupervisionCase.status != CaseStatus.CLOSED.value
        )
    )


def ensure_open_case(
    ticket, *, origin: str, now: datetime, actor=None, unit_id: int | None = None, reason: str | None = None
) -> tuple[SupervisionCase, bool]:
    """The ticket's open case, opened now if there is none. Returns (case, opened).

    Race-safe: at most one case per ticket is not closed (a partial unique index), and
    the INSERT does nothing when another transaction opened one first.
    """
    for _ in range(3):
        stmt = (
            upsert_insert(SupervisionCase)
            .values(
                ticket_id=ticket.id,
                unit_id=unit_id if unit_id is not None else ticket.lead_unit_id,
                status=CaseStatus.OPEN.value,
                origin=origin,
                reason=reason,
                opened_by_id=getattr(actor, "id", None),
                opened_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(SupervisionCase)  # the new case as an object: nothing read back
        )
        case = db.session.scalars(stmt).first()
        if case is not None:
            txcache.forget(db.session(), (_NO_CASE_WITHOUT_UNIT, ticket.id))
            _audit(actor, "supervision_case.open", case, now, origin=origin, reason=reason)
            connector.record("case.opened", case, key=f"case-{case.id}-opened", now=now, new_case=True)
            return case, True
        case = open_case_for(ticket)
        if case is not None:
            return case, False
    raise RuntimeError(f"could not open or find the open supervision case of ticket {ticket.number}")


def open_case(ticket, *, actor, now: datetime, reason: str) -> SupervisionCase:
    """A supervisor opens a case on any ticket (409 when one is already open)."""
    if not permissions.can_open_case(actor):
        _refuse("Only supervisors open supervision cases.", "只有督办人员可以立案。")
    existing = open_case_for(ticket)
    if existing is not None:
        raise Conflict(
            f"Ticket {ticket.number} already has an open supervision case ({existing.id}).",
            message_zh="该工单已有未结案的监察案件。",
            code="case_open",
        )
    case, opened = ensure_open_case(ticket, origin=CaseOrigin.SUPERVISOR.value, now=now, actor=actor, reason=reason)
    if not opened:  # opened by someone else between our check and our insert
        raise Conflict(
            f"Ticket {ticket.number} already has an open supervision case ({case.id}).",
            message_zh="该工单已有未结案的监察案件。",
            code="case_open",
        )
    return case


def _check_not_closed(case: SupervisionCase) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Conflict("The case is closed.", message_zh="案件已结案。", code="case_closed")


def issue_order(case: SupervisionCase, *, actor, now: datetime, kind: str, note: str) -> CaseOrder:
    """An urge (催办) or supervise (督办) order on the case.

    While the ticket is open the order is the ticket's own urge/supervise action (its
    event, its message to the unit), recorded on this case by the ticket_changed
    receiver; on a finished ticket it is recorded on the case alone and the unit told.
    """
    if not permissions.can_order(actor, case):
        _refuse("Only supervisors issue orders.", "只有督办人员可以催办、督办。")
    _check_not_closed(case)
    kind = OrderKind(kind).value
    ticket = case.ticket
    if is_open(ticket.status):
        action = tickets.urge if kind == OrderKind.URGE else tickets.supervise
        event = action(ticket, actor=actor, now=now, note=note)
        return db.session.scalar(select(CaseOrder).where(CaseOrder.ticket_event_id == event.id))
    unit = case.unit
    order = _add_order(case, kind=kind, unit_id=case.unit_id, note=note, actor=actor, now=now, event_id=None)
    if unit is not None:
        notifications.notify(
            f"unit_{kind}",
            notifications.unit_recipient(unit),
            key=f"case-order:{order.id}:unit:{unit.id}",
            ticket=ticket,
            context=notifications.ticket_context(ticket, unit=unit, note=note),
            now=now,
        )
    return order


def record_ticket_order(ticket, event, *, actor, now: datetime) -> CaseOrder | None:
    """The ticket's urge/supervise action, recorded on its open case (once per event)."""
    case = open_case_for(ticket)
    if case is None:
        return None
    existing = db.session.scalar(select(CaseOrder).where(CaseOrder.ticket_event_id == event.id))
    if existing is not None:
        return existing
    return _add_order(
        case, kind=event.action, unit_id=ticket.lead_unit_id, note=event.note, actor=actor, now=now, event_id=event.id
    )


def _add_order(case, *, kind, unit_id, note, actor, now, event_id) -> CaseOrder:
    order = CaseOrder(
        case_id=case.id,
        kind=kind,
        unit_id=unit_id,
        note=note or "",
        ticket_event_id=event_id,
        issued_by_id=getattr(actor, "id", None),
        issued_at=now,
    )
    db.session.add(order)
    case.updated_at = now
    db.session.flush()
    _audit(actor, "supervision_case.order", case, now, order=order.id, kind=kind)
    connector.record(
        "case.order_issued", case, key=f"case-{case.id}-order-{order.id}", now=now, detail={"order_id": order.id}
    )
    return order


def issue_notice(
    case: SupervisionCase, *, actor, now: datetime, content: str, due_at: datetime, unit_code: str | None = None
) -> RectificationNotice:
    """整改通知书 to a unit (the case's unit unless named), due at ``due_at``."""
    if not permissions.can_issue_notice(actor, case):
        _refuse("Only supervisors issue rectification notices.", "只有督办人员可以下发整改通知书。")
    _check_not_closed(case)
    unit = case.unit
    if unit_code:
        unit = unit_queries.get_by_code(unit_code)
        if unit is None or not unit.is_active:
            raise InvalidInput(f"Unknown unit {unit_code!r}.", message_zh="单位不存在或已停用。", field="unit")
    if unit is None:
        raise InvalidInput(
            "The case names no unit yet: give the unit the notice is for.",
            message_zh="案件尚无责任单位，请指定整改单位。",
            field="unit",
        )
    if due_at <= now:
        raise InvalidInput("due_at must be in the future.", message_zh="整改期限必须晚于当前时间。", field="due_at")
    notice = RectificationNotice(
        case_id=case.id,
        unit_id=unit.id,
        content=content,
        due_at=due_at,
        status=NoticeStatus.ISSUED.value,
        issued_by_id=actor.id,
        issued_at=now,
    )
    db.session.add(notice)
    case.status = CaseStatus.RECTIFICATION_ORDERED.value
    case.updated_at = now
    db.session.flush()
    # The deadline watch records the notice's warning, overdue (+ yellow card) and red card.
    deadlines.open_deadline(
        case.ticket_id,
        request_type=case.ticket.request_type,
        urgency=case.ticket.urgency,
        kind="rectification",
        unit_id=unit.id,
        due_at=due_at,
        now=now,
        source_type=NOTICE_DEADLINE_SOURCE,
        source_id=notice.id,
    )
    _audit(actor, "rectification_notice.issue", case, now, notice=notice.id, unit=unit.code, due_at=due_at.isoformat())
    connector.record(
        "case.notice_issued", case, key=f"case-{case.id}-notice-{notice.id}", now=now, detail={"notice_id": notice.id}
    )
    notifications.notify(
        "unit_rectification",
        notifications.unit_recipient(unit),
        key=f"notice:{notice.id}:unit:{unit.id}",
        ticket=case.ticket,
        context=notifications.ticket_context(case.ticket, unit=unit, due_at=due_at, note=content),
        now=now,
    )
    return notice


def respond_to_notice(notice: RectificationNotice, *, actor, now: datetime, response: str) -> RectificationNotice:
    """The unit's response; when no notice of the case is outstanding, the case is open again."""
    if not permissions.can_respond(actor, notice):
        _refuse("Only the unit's staff respond to its notice.", "只有被通知单位可以反馈整改情况。")
    if notice.status != NoticeStatus.ISSUED:
        raise Conflict("This notice was already answered.", message_zh="该整改通知已反馈。", code="notice_responded")
    case = db.session.get(SupervisionCase, notice.case_id)
    _check_not_closed(case)
    notice.status = NoticeStatus.RESPONDED.value
    notice.response = response
    notice.responded_by_id = actor.id
    notice.responded_at = now
    deadline = deadlines.find_deadline(source_type=NOTICE_DEADLINE_SOURCE, source_id=notice.id)
    if deadline is not None:
        deadlines.meet_deadline(deadline, now=now)
    db.session.flush()
    if outstanding_notices(case) == 0:
        case.status = CaseStatus.OPEN.value
    case.updated_at = now
    db.session.flush()
    _audit(actor, "rectification_notice.respond", case, now, notice=notice.id, late=now > notice.due_at)
    connector.record(
        "case.notice_responded",
        case,
        key=f"case-{case.id}-notice-{notice.id}-response",
        now=now,
        detail={"notice_id": notice.id},
    )
    return notice


def outstanding_notices(case: SupervisionCase) -> int:
    return len(
        db.session.scalars(
            select(RectificationNotice.id).where(
                RectificationNotice.case_id == case.id, RectificationNotice.status == NoticeStatus.ISSUED.value
            )
        ).all()
    )


def close_case(case: SupervisionCase, *, actor, now: datetime, note: str) -> SupervisionCase:
    """结案, with a closing note; refused while a rectification notice awaits its response."""
    if not permissions.can_close(actor, case):
        _refuse("Only supervisors close cases.", "只有督办人员可以结案。")
    _check_not_closed(case)
    if outstanding_notices(case):
        raise Conflict(
            "A rectification notice is still waiting for the unit's response.",
            message_zh="尚有整改通知未反馈，不能结案。",
            code="rectification_pending",
        )
    case.status = CaseStatus.CLOSED.value
    case.closed_at = now
    case.closed_by_id = actor.id
    case.closing_note = note
    case.updated_at = now
    db.session.flush()
    _audit(actor, "supervision_case.close", case, now, note=note)
    connector.record("case.closed", case, key=f"case-{case.id}-closed", now=now)
    return case


# Kept in the transaction when the ticket's statement found no open case naming no unit
# (ask_cheaply): a dispatch then has no case to read. Forgotten when a case opens.
_NO_CASE_WITHOUT_UNIT = "supervision:no_case_without_unit"


def ask_cheaply() -> None:
    """From ``init_app``: the one-ticket statement also asks whether the ticket has an open
    case that names no unit (cases are few: most dispatches need not read them)."""
    from ..tickets import queries as ticket_queries
    from ..tickets.models import Ticket

    unassigned = exists().where(
        SupervisionCase.ticket_id == Ticket.id,
        SupervisionCase.status != CaseStatus.CLOSED.value,
        SupervisionCase.unit_id.is_(None),
    )

    def when_absent(ticket_id: int) -> None:
        txcache.get(db.session(), (_NO_CASE_WITHOUT_UNIT, ticket_id), lambda: True)

    ticket_queries.ask_with_ticket("supervision_case_without_unit", unassigned, when_absent)


def assign_unit(ticket, *, now: datetime) -> None:
    """On dispatch: the open case that names no unit yet is about the lead unit."""
    if txcache.peek(db.session(), (_NO_CASE_WITHOUT_UNIT, ticket.id)):
        return  # the ticket's statement found none, and none was opened since
    case = open_case_for(ticket)
    if case is not None and case.unit_id is None and ticket.lead_unit_id is not None:
        case.unit_id = ticket.lead_unit_id
        case.updated_at = now
        db.session.flush()
        _audit(None, "supervision_case.unit", case, now, unit=ticket.lead_unit.code)


def record_card(
    *, deadline_id: int, deadline_kind: str, color: str, ticket, unit_id: int, due_at, now: datetime
) -> Card | None:
    """A yellow or red card against a unit, once per (deadline, color), on the ticket's open
    case (opened now if none). Returns the card, or None if it was already recorded."""
    if db.session.scalar(select(Card.id).where(Card.deadline_id == deadline_id, Card.color == color)) is not None:
        return None
    case, _ = ensure_open_case(ticket, origin=CaseOrigin.CARD.value, now=now, unit_id=unit_id)
    stmt = (
        upsert_insert(Card)
        .values(
            deadline_id=deadline_id,
            deadline_kind=deadline_kind,
            color=color,
            unit_id=unit_id,
            ticket_id=ticket.id,
            case_id=case.id,
            due_at=due_at,
            recorded_at=now,
        )
        .on_conflict_do_nothing(index_elements=["deadline_id", "color"])
        .returning(Card.id)
    )
    card_id = db.session.execute(stmt).scalar()
    if card_id is None:  # a concurrent duplicate signal won
        return None
    card = db.session.get(Card, card_id)
    if case.unit_id is None:
        case.unit_id = unit_id
    case.updated_at = now
    db.session.flush()
    audit(
        actor=None,
        action="card.record",
        object_type="card",
        object_id=card.id,
        now=now,
        data={"color": color, "unit": card.unit.code, "ticket": ticket.number, "deadline": deadline_id},
    )
    connector.record("card.recorded", case, key=f"card-{card.id}", now=now, card=card)
    return card
