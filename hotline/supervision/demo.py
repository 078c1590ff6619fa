"""Demo data for notifications and e-supervision, through the services. Idempotent.

The demo tickets already produced messages and complaint cases as they were recorded
(the signal receivers). This adds: the default templates, units' notification contacts
and heads, and a few supervisor's cases with orders and rectification notices (one
answered late, one still open and overdue, one closed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..accounts import queries as account_queries
from ..extensions import db
from ..notifications import services as notifications
from ..tickets.models import Ticket
from ..units.models import Unit
from . import services
from .models import RectificationNotice, SupervisionCase

LABEL = "templates, unit contacts and supervision cases added"

# Unit code → (head's name, head's mobile, the unit's notification mobile). Made-up numbers.
CONTACTS = {
    "HRSS": ("周建国", "13900000101", "13800000101"),
    "HPF": ("吴海燕", "13900000102", "13800000102"),
    "SAMR": ("郑志刚", "13900000103", "13800000103"),
    "URBAN": ("孙卫东", "13900000104", "13800000104"),
    "TRANSPORT": ("马晓明", "13900000106", "13800000106"),
    "ENV": ("何丽华", "13900000109", "13800000109"),
}


def seed(now: datetime) -> tuple[str, int]:
    added = notifications.ensure_default_templates(now)
    added += _contacts(now)
    if db.session.scalar(select(RectificationNotice.id).limit(1)) is not None:
        return LABEL, added
    sup = account_queries.get_by_username("sup1")
    if sup is None:
        return LABEL, added
    tickets = list(
        db.session.scalars(
            select(Ticket).where(Ticket.lead_unit_id.is_not(None), Ticket.status != "merged").order_by(Ticket.id)
        )
    )
    with_unit = [t for t in tickets if t.status in ("dispatched", "accepted")]
    finished = [t for t in tickets if t.status == "closed"]
    if len(with_unit) < 2 or not finished:
        return LABEL, added

    h = timedelta(hours=1)
    # 1. A slow ticket: the supervisor urges, and orders a rectification that is now
    #    overdue (no response yet).
    slow = with_unit[0]
    case = _case(slow, sup, now - 26 * h, "办理进度缓慢，群众多次来电催问。")
    services.issue_order(case, actor=sup, now=now - 26 * h, kind="urge", note="请于今日内答复来电人。")
    services.issue_notice(
        case,
        actor=sup,
        now=now - 25 * h,
        content="未按时签收办理，请查明原因，落实首问负责制，并书面反馈整改情况。",
        due_at=now - 2 * h,
    )
    added += 1

    # 2. A supervised ticket whose unit answered its notice late: the case is open again.
    second = with_unit[1]
    case = _case(second, sup, now - 20 * h, "群众反映答复敷衍，列入督办。")
    services.issue_order(case, actor=sup, now=now - 20 * h, kind="supervise", note="请单位负责人亲自过问。")
    notice = services.issue_notice(
        case, actor=sup, now=now - 20 * h, content="请重新核查并规范答复口径，及时反馈。", due_at=now - 8 * h
    )
    _respond(notice, second, now - 6 * h, "已组织复核，重新答复来电人，并对经办人进行提醒谈话。")
    added += 1

    # 3. A finished ticket: a case opened, rectified on time and closed.
    done = finished[0]
    case = _case(done, sup, now - 10 * h, "回访中群众反映办事效率低，立案核查。")
    notice = services.issue_notice(
        case, actor=sup, now=now - 10 * h, content="请梳理办事流程，压缩办理时限。", due_at=now - 4 * h
    )
    if _respond(notice, done, now - 5 * h, "已精简申请材料两项，办理时限由5日压缩至3日。"):
        services.close_case(case, actor=sup, now=now - 3 * h, note="整改到位，予以结案。")
    return LABEL, added + 1


def _respond(notice, ticket, now, text) -> bool:
    staff = account_queries.get_by_username(ticket.lead_unit.code.lower())
    if staff is None or staff.unit_id != notice.unit_id:
        return False
    services.respond_to_notice(notice, actor=staff, now=now, response=text)
    return True


def _case(ticket, sup, now, reason) -> SupervisionCase:
    case = services.open_case_for(ticket)
    if case is None:
        case = services.open_case(ticket, actor=sup, now=now, reason=reason)
    return case


def _contacts(now: datetime) -> int:
    added = 0
    for code, (head, head_phone, phone) in CONTACTS.items():
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        if unit is None or unit.head_name:
            continue
        notifications.set_unit_contacts(
            unit, actor=None, now=now, changes={"head_name": head, "head_phone": head_phone, "notify_phone": phone}
        )
        added += 1
    return added
