"""Demo deadline policies for `flask --app wsgi demo seed` (idempotent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from . import policies
from .models import SlaPolicy

DEMO_POLICIES = (
    {"name": "一般件", "request_type": "*", "urgency": "*", "accept_hours": 2, "reply_hours": 22},
    {"name": "紧急件", "request_type": "*", "urgency": "urgent", "accept_hours": 1, "reply_hours": 12},
    {
        "name": "投诉件（按工作时间）",
        "request_type": "complaint",
        "urgency": "*",
        "accept_hours": 2,
        "reply_hours": 22,
        "clock_mode": "working",
    },
)


def seed_policies(now: datetime) -> tuple[str, int]:
    added = 0
    for values in DEMO_POLICIES:
        exists = db.session.scalar(
            select(SlaPolicy.id).where(
                SlaPolicy.request_type == values["request_type"], SlaPolicy.urgency == values["urgency"]
            )
        )
        if exists is None:
            policies.create_policy(actor=None, now=now, values={"warn_ratio": 0.8, "red_ratio": 2.0, **values})
            added += 1
    return "deadline policies added", added
