"""Helpers for the deadline tests: many dispatched tickets fast, and subprocess environments."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from hotline.callers import services as callers
from hotline.categories import queries as category_queries
from hotline.extensions import db
from hotline.sla import arithmetic as sla
from hotline.sla.models import Deadline, DeadlineRecord
from hotline.tickets.models import Ticket, TicketEvent
from hotline.units import queries as unit_queries

ROOT = Path(__file__).resolve().parents[2]


def bulk_dispatched(world, count: int, *, dispatched_at, prefix: str, unit: str = "DEPT-A") -> list[int]:
    """``count`` tickets dispatched to ``unit`` at ``dispatched_at`` with a 22 h reply deadline,
    written with multi-row INSERTs (the sweep does not care how they were made). Commits."""
    with world.app.app_context():
        lead = unit_queries.get_by_code(unit)
        category = category_queries.get_by_code("SOC.PEN")
        caller = callers.find_or_create("13800138000", name="张三", now=dispatched_at)
        db.session.flush()
        p = sla.points(dispatched_at, 22)
        rows = [
            {
                "number": f"{prefix}{i:06d}",
                "version": 1,
                "status": "dispatched",
                "channel": "phone",
                "request_type": "complaint",
                "category_id": category.id,
                "content": "路灯不亮",
                "urgency": "normal",
                "caller_id": caller.id,
                "lead_unit_id": lead.id,
                "created_by_id": world.user_ids["operator"],
                "reopen_count": 0,
                "created_at": dispatched_at,
                "updated_at": dispatched_at,
                "dispatched_at": dispatched_at,
                "reply_due_at": p.due_at,
            }
            for i in range(count)
        ]
        ids = list(db.session.scalars(insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), rows))
        deadline_rows = [
            {
                "ticket_id": ticket_id,
                "kind": "reply",
                "sequence": 1,
                "unit_id": lead.id,
                "started_at": dispatched_at,
                "base_hours": 22.0,
                "extension_hours": 0.0,
                "due_at": p.due_at,
                "warn_at": p.warn_at,
                "red_at": p.red_at,
                "policy": {"name": "默认", "warn_ratio": 0.8, "red_ratio": 2.0},
                "calendar": {"mode": "natural"},
                "extensions": [],
                "next_check_at": p.warn_at,
                "created_at": dispatched_at,
                "updated_at": dispatched_at,
            }
            for ticket_id in ids
        ]
        db.session.execute(insert(Deadline), deadline_rows)
        db.session.commit()
        return ids


def counts(app, kind: str = "overdue") -> tuple[int, int, int]:
    """(records of ``kind``, distinct deadlines with one, ticket events of the matching action)."""
    action = {"warning": "deadline_warning", "overdue": "deadline_overdue", "red": "red_card"}[kind]
    with app.app_context():
        records = db.session.scalar(select(func.count()).select_from(DeadlineRecord).where(DeadlineRecord.kind == kind))
        distinct = db.session.scalar(
            select(func.count(func.distinct(DeadlineRecord.deadline_id))).where(DeadlineRecord.kind == kind)
        )
        events = db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.action == action))
        db.session.remove()
        return records, distinct, events


def subprocess_env(app, **extra) -> dict:
    """Environment for a `flask --app wsgi ...` child process on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        {
            "HOTLINE_ENV": "testing",
            "HOTLINE_SECRET_KEY": "test-secret",
            "HOTLINE_DATABASE_URL": app.config["DATABASE_URL"],
            "HOTLINE_DATA_DIR": app.config["DATA_DIR"],
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def flask_command(*args) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def later(now, **kw):
    return now + timedelta(**kw)
