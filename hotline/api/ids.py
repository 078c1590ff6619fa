"""Numeric ids in URL paths (``/cases/<case_id>``): anything but a plain id is a 404."""

from __future__ import annotations

from ..core.errors import NotFound
from ..core.validation import parse_int

_MAX_ID = 2**31 - 1


def path_id(value: str, what: str, what_zh: str) -> int:
    number = parse_int(value, minimum=1, maximum=_MAX_ID) if value == value.strip() else None
    if number is not None:
        return number
    raise NotFound(f"No {what} {value!r}.", message_zh=f"{what_zh}不存在。")
