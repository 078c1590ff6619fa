"""Numeric ids in URL paths (``/cases/<case_id>``): anything but a plain id is a 404."""

from __future__ import annotations

from ..core.errors import NotFound

_MAX_ID = 2**31 - 1


def path_id(value: str, what: str, what_zh: str) -> int:
    if value.isascii() and value.isdigit() and 0 < int(value) <= _MAX_ID:
        return int(value)
    raise NotFound(f"No {what} {value!r}.", message_zh=f"{what_zh}不存在。")
