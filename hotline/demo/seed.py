"""Load the demo city through the product's own services. Idempotent: run it twice,
nothing is added the second time."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..accounts import queries as account_queries
from ..accounts import services as accounts
from ..categories import queries as category_queries
from ..categories import services as categories
from ..core.wiring import demo_sections
from ..extensions import db
from ..tickets import services as tickets
from ..tickets.models import Ticket
from ..units import queries as unit_queries
from ..units import services as units
from . import data

DEFAULT_PASSWORD = "demo-12345"


@dataclass
class SeedReport:
    password: str
    users: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def after_commit(self, echo: Callable[[str], None]) -> None:
        echo("Demo data loaded: " + ", ".join(f"{k}: {v}" for k, v in self.counts.items()))
        echo(f"Every demo user's password: {self.password}")
        for username, role, unit in self.users:
            echo(f"  {username:<12} {role:<11} {unit or ''}")


def seed(*, now: datetime, echo: Callable[[str], None] = print) -> SeedReport:
    password = os.environ.get("HOTLINE_DEMO_PASSWORD") or DEFAULT_PASSWORD
    report = SeedReport(password=password)
    report.counts["units added"] = seed_units(now)
    report.counts["categories added"] = seed_categories(now)
    report.counts["users added"] = seed_users(now, password, report)
    report.counts["tickets added"] = seed_tickets(now)
    # Then each domain's own section (knowledge base, e-supervision, deadline policies...),
    # registered by its init_app with wiring.register_demo_section.
    for section in demo_sections(current_app):
        name, added = section(now)
        report.counts[name] = added
    return report


def _unit(now, code, name, level, parent, phone) -> int:
    if unit_queries.get_by_code(code) is not None:
        return 0
    units.create_unit(actor=None, now=now, code=code, name=name, level=level, parent_code=parent, contact_phone=phone)
    return 1


def seed_units(now: datetime) -> int:
    added = _unit(now, *data.CITY)
    for code, name, phone in data.DEPARTMENTS:
        added += _unit(now, code, name, "city", "CITY", phone)
    for code, name, phone in data.DISTRICTS:
        added += _unit(now, code, name, "district", "CITY", phone)
    for code, name, parent in data.TOWNS:
        added += _unit(now, code, name, "town", parent, None)
    return added


def seed_categories(now: datetime) -> int:
    added = 0
    for order, (code, name, children) in enumerate(data.CATEGORIES):
        if category_queries.get_by_code(code) is None:
            categories.create_category(actor=None, now=now, code=code, name=name, sort_order=order * 10)
            added += 1
        for child_order, (child_code, child_name, unit) in enumerate(children):
            if category_queries.get_by_code(child_code) is None:
                categories.create_category(
                    actor=None,
                    now=now,
                    code=child_code,
                    name=child_name,
                    parent_code=code,
                    default_lead_unit=unit,
                    sort_order=child_order,
                )
                added += 1
    return added


def _all_users() -> list[tuple[str, str, str, str | None]]:
    users = list(data.USERS)
    units = [*data.DEPARTMENTS, *data.DISTRICTS, *data.TOWNS]
    for (code, *_), name in zip(units, data.STAFF_NAMES, strict=True):
        users.append((code.lower(), name, "unit_staff", code))
    return users


def seed_users(now: datetime, password: str, report: SeedReport) -> int:
    added = 0
    for username, display_name, role, unit in _all_users():
        if account_queries.get_by_username(username) is None:
            accounts.create_user(
                actor=None,
                now=now,
                username=username,
                password=password,
                role=role,
                unit_code=unit,
                display_name=display_name,
            )
            added += 1
        report.users.append((username, role, unit))
    return added


# How many demo tickets end in each state, and how they get there.
PLAN = (
    ["new"] * 3
    + ["pending_dispatch"] * 4
    + ["dispatched"] * 4
    + ["overdue"] * 2
    + ["accepted"] * 5
    + ["extension"] * 2
    + ["returned"] * 3
    + ["replied"] * 5
    + ["answered"] * 4
    + ["closed"] * 5
    + ["reopened"] * 2
    + ["merged"] * 2
)


def seed_tickets(now: datetime) -> int:
    if db.session.scalar(select(func.count()).select_from(Ticket)):
        return 0
    rng = random.Random(12345)  # noqa: S311 - repeatable demo data, not security
    users = {name: account_queries.get_by_username(name) for name in ("op1", "disp1", "sup1")}
    for index, outcome in enumerate(PLAN):
        # Spread intake over the last six days; overdue ones were dispatched 30 hours ago.
        start = (
            now - timedelta(hours=30 + rng.randint(0, 110))
            if outcome != "new"
            else now - timedelta(minutes=rng.randint(5, 90))
        )
        if outcome == "overdue":
            start = now - timedelta(hours=31)
        ticket = _take_call(index, users["op1"], start)
        if outcome != "new":
            _until_dispatch(ticket, outcome, index, users, start, rng)
    return len(PLAN)


def _take_call(index: int, operator, at: datetime) -> Ticket:
    request_type, category, area, address, content, name = data.CALLS[index % len(data.CALLS)]
    ticket, _ = tickets.create(
        actor=operator,
        now=at,
        data=tickets.NewTicket(
            caller_phone=data.PHONES[index % len(data.PHONES)],
            caller_name=name,
            request_type=request_type,
            category=category,
            area=area,
            address=address,
            content=content,
            urgency="urgent" if index % 9 == 0 else "normal",
            channel="phone" if index % 5 else "wechat",
        ),
    )
    return ticket


def _until_dispatch(ticket: Ticket, outcome: str, index: int, users: dict, t: datetime, rng) -> None:
    """Take a recorded ticket as far as its outcome: answered, submitted, merged or dispatched,
    and on to the unit's part when it goes further."""
    op, disp = users["op1"], users["disp1"]
    if outcome == "answered":
        tickets.answer(
            ticket,
            actor=op,
            now=t + timedelta(minutes=4),
            answer_text="已根据知识库向来电人解答办理条件、材料和地点，来电人表示清楚。",
        )
        return
    t += timedelta(minutes=3)
    tickets.submit(ticket, actor=op, now=t)
    if outcome == "pending_dispatch":
        return
    if outcome == "merged":
        target = db.session.scalar(select(Ticket).where(Ticket.status == "dispatched").order_by(Ticket.id))
        tickets.merge(ticket, actor=disp, now=t + timedelta(minutes=10), into=target.number)
        return
    t += timedelta(minutes=20)
    area = data.CALLS[index % len(data.CALLS)][2]
    lead = ticket.category.default_lead_unit.code if ticket.category.default_lead_unit else (area or "DC")[:2]
    assists = ["DC-01"] if outcome == "accepted" and lead != "DC-01" and index % 2 else []
    tickets.dispatch(ticket, actor=disp, now=t, lead_unit=lead, assist_units=assists)
    if outcome not in ("dispatched", "overdue"):
        _at_the_unit(ticket, outcome, index, users, account_queries.get_by_username(lead.lower()), t, rng)


def _at_the_unit(ticket: Ticket, outcome: str, index: int, users: dict, staff, t: datetime, rng) -> None:
    """The lead unit's part (return, accept, extension, reply) and the callback that follows."""
    op = users["op1"]
    if outcome == "returned":
        tickets.return_ticket(
            ticket,
            actor=staff,
            now=t + timedelta(hours=2),
            reason="该事项不属于我单位职责范围，建议转属地镇街处理。",
        )
        return
    t += timedelta(hours=1)
    tickets.accept(ticket, actor=staff, now=t)
    if outcome == "accepted":
        return
    if outcome == "extension":
        tickets.request_extension(
            ticket,
            actor=staff,
            now=t + timedelta(hours=3),
            hours=48,
            reason="需要协调多个部门现场核查，申请延期两天。",
        )
        return
    t += timedelta(hours=rng.randint(3, 18))
    tickets.reply(ticket, actor=staff, now=t, content=data.REPLIES[index % len(data.REPLIES)])
    if outcome == "replied":
        return
    t += timedelta(hours=2)
    if outcome == "reopened":
        tickets.callback(
            ticket,
            actor=op,
            now=t,
            satisfaction="dissatisfied",
            resolved=False,
            note="来电人表示问题仍未解决，要求重新处理。",
        )
        tickets.urge(ticket, actor=users["sup1"], now=t + timedelta(hours=1), note="请尽快重新核查并答复来电人。")
        return
    tickets.callback(
        ticket,
        actor=op,
        now=t,
        satisfaction="satisfied" if index % 3 else "basically_satisfied",
        resolved=True,
        note="来电人对处理结果表示满意。",
    )
