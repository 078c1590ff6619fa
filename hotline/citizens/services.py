"""The lookup's rate limits, shared by the API and the page."""

from __future__ import annotations

from datetime import datetime

from ..core.ratelimit import check
from .progress import LIMIT_PER_NUMBER, LIMITS_PER_ADDRESS

NOT_FOUND_ZH = "未找到该工单，请核对工单编号和来电号码后四位。"
TOO_MANY_ZH = "查询过于频繁，请稍后再试。"


def count_lookup(number: str, address: str, *, now: datetime) -> None:
    """Count one lookup per client address and per ticket number; 429 past either limit.
    Committed before the answer: a refused or unsuccessful lookup counts too."""
    limits = [(limit, address) for limit in LIMITS_PER_ADDRESS] + [(LIMIT_PER_NUMBER, number)]
    check(limits, now=now, message_zh=TOO_MANY_ZH)
