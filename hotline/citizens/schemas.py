"""The progress lookup's input and answer."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator

from ..core.validation import Code, Line, Schema, Text
from ..tickets.schemas import MAX_CONTENT, RequestTypeName

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


# --- the public web form (网上留言) -------------------------------------------------------

MobileText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


def _mobile(value: str) -> str:
    from ..tickets.schemas import normalise_phone

    phone = normalise_phone(value)
    if not re.fullmatch(r"1[3-9][0-9]{9}", phone):
        raise ValueError("a mobile number is needed to receive the code")
    return phone


class CodeRequestIn(Schema):
    mobile: MobileText

    _check_mobile = field_validator("mobile")(classmethod(lambda cls, v: _mobile(v)))


class WebRequestIn(Schema):
    request_type: RequestTypeName
    category: Code | None = None
    area: Code
    address: Line(200) | None = None
    content: Text(MAX_CONTENT)
    citizen_name: Line(50)
    mobile: MobileText
    sms_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
    verification: Annotated[str, StringConstraints(min_length=1, max_length=64)]

    _check_mobile = field_validator("mobile")(classmethod(lambda cls, v: _mobile(v)))
