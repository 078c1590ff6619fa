"""The progress lookup's input and answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from ..core.validation import Schema

TicketNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9-]+$")
]
Last4 = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}$")]


class ProgressIn(Schema):
    number: TicketNumber
    phone_last4: Last4


class StepOut(BaseModel):
    label: str
    at: str


class ProgressOut(BaseModel):
    number: str
    stage: str
    request_type: str
    category: str
    received_at: str
    unit: str | None
    reply_due_at: str | None
    steps: list[StepOut]
    reply: str | None
    replied_at: str | None
    merged_into: str | None
