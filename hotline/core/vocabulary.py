"""The words of a citizen's request that several domains key on: its request type and urgency.

Tickets store them; deadline policies (:mod:`hotline.sla.policies`) are chosen by them;
supervision and notifications read them. They live here, in the core, so that every
domain may import them without importing another domain (``hotline.sla`` must never
import ``hotline.tickets``). :mod:`hotline.tickets.models` re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class RequestType(StrEnum):
    CONSULTATION = "consultation"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


REQUEST_TYPE_LABELS = {
    RequestType.CONSULTATION: "咨询",
    RequestType.HELP: "求助",
    RequestType.COMPLAINT: "投诉",
    RequestType.REPORT: "举报",
    RequestType.SUGGESTION: "建议",
    RequestType.PRAISE: "表扬",
}


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


URGENCY_LABELS = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急"}
