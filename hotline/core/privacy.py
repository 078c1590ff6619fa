"""Masking personal contact data in text that leaves the system or reaches the API."""

from __future__ import annotations

import re

from .phones import mask

# A mainland mobile number inside text (not part of a longer digit run), e.g. "回电13800138000".
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")


def mask_email(address: str | None) -> str | None:
    """z***@example.com"""
    if not address:
        return address
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_address(address: str | None) -> str | None:
    """A phone number or an e-mail address, masked."""
    if not address:
        return address
    return mask_email(address) if "@" in address else mask(address)


def mask_numbers(text: str | None, *also: str | None) -> str | None:
    """``text`` with every mobile number, and each of ``also`` (exact strings), masked."""
    if not text:
        return text
    for value in also:
        if value:
            text = text.replace(value, mask_address(value))
    return _MOBILE.sub(lambda m: mask(m.group(1)), text)


def scrub(value, *also: str | None):
    """``mask_numbers`` applied to every string inside nested dicts and lists."""
    if isinstance(value, str):
        return mask_numbers(value, *also)
    if isinstance(value, dict):
        return {k: scrub(v, *also) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, *also) for v in value]
    return value
