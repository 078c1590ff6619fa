"""Deadline arithmetic. Pure Python: every function takes the times it needs.

A member unit must reply within 22 hours of dispatch (22小时内答复). The clock starts at
dispatch, not at acceptance. Rule at the boundary: the deadline is the instant
``dispatched_at + 22 h``; a reply at exactly that instant is on time, one after it is late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_REPLY_HOURS = 22


def reply_due_at(dispatched_at: datetime, hours: int | float = DEFAULT_REPLY_HOURS) -> datetime:
    return dispatched_at + timedelta(hours=hours)


def extended(due_at: datetime, hours: int) -> datetime:
    """The deadline after an approved extension of ``hours``."""
    return due_at + timedelta(hours=hours)


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and now > due_at
