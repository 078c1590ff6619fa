"""A merged duplicate is never held against a unit twice.

When a ticket is merged into the one it repeats (合并), the same incident is assessed once,
on the surviving ticket:

- the duplicate's open case is closed as merged and linked to the surviving ticket's open
  case (opened now, origin "merge", if it has none); its rectification notices still
  awaiting a response move to that case; the external system is told of each step;
- every card recorded on the duplicate is kept for the record but voided with the reason,
  and so left out of every count (figures, dashboard, totals);
- nothing new is recorded on the duplicate: its deadlines stop at the merge (hotline.sla's
  receivers), and the card receiver ignores a merged ticket (a sweep that raced the merge).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..audit.services import record as audit
from ..extensions import db
from . import connector
from .models import Card, CaseOrigin, CaseStatus, NoticeStatus, RectificationNotice, SupervisionCase
from .services import _audit, ensure_open_case, open_case_for


def void_reason(duplicate, surviving) -> str:
    return f"重复件已合并到工单 {surviving.number}，同一事项以该工单考核"


def on_merged(duplicate, *, actor, now: datetime) -> None:
    surviving = duplicate.duplicate_of
    _void_cards(duplicate, surviving, actor=actor, now=now)
    case = open_case_for(duplicate)
    if case is None:
        return
    into, _ = ensure_open_case(
        surviving,
        origin=CaseOrigin.MERGE.value,
        now=now,
        actor=actor,
        reason=f"由重复件 {duplicate.number} 的监察案件转入",
    )
    moved = (
        db.session.execute(
            update(RectificationNotice)
            .where(RectificationNotice.case_id == case.id, RectificationNotice.status == NoticeStatus.ISSUED.value)
            .values(case_id=into.id)
            .returning(RectificationNotice.id)
        )
        .scalars()
        .all()
    )
    case.status = CaseStatus.CLOSED.value
    case.closed_at = now
    case.closed_by_id = getattr(actor, "id", None)
    case.closing_note = f"工单已合并到 {surviving.number}，案件并入该工单的案件"
    case.merged_into_id = into.id
    case.updated_at = now
    into.updated_at = now
    db.session.flush()
    _audit(actor, "supervision_case.merge", case, now, into_case=into.id, into=surviving.number, notices=list(moved))
    detail = {"merged_into_case_id": into.id, "merged_into_ticket": surviving.number}
    connector.record("case.merged", case, key=f"case-{case.id}-merged", now=now, detail=detail)


def _void_cards(duplicate, surviving, *, actor, now: datetime) -> None:
    cards = db.session.scalars(
        select(Card).where(Card.ticket_id == duplicate.id, Card.voided_at.is_(None)).order_by(Card.id)
    ).all()
    reason = void_reason(duplicate, surviving)
    for card in cards:
        card.voided_at = now
        card.void_reason = reason
        db.session.flush()
        audit(
            actor=actor,
            action="card.void",
            object_type="card",
            object_id=card.id,
            now=now,
            data={"ticket": duplicate.number, "into": surviving.number, "unit": card.unit.code, "reason": reason},
        )
        case = db.session.get(SupervisionCase, card.case_id)
        connector.record(
            "card.voided", case, key=f"card-{card.id}-voided", now=now, card=card, detail={"reason": reason}
        )
