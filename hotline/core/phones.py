"""Callers' phone numbers: normalising, validating and masking.

Operators type numbers as they hear them, and the switch passes them in many shapes:
full-width digits (１３８…), spaces and dashes, a +86 or 0086 prefix, a landline with or
without its area code. Every shape of one number becomes one stored form: a mobile as
its 11 digits, a landline with its trunk 0 and area code (075712345678).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-–—()（）.·]")


class InvalidPhone(ValueError):
    pass


def normalise(raw: str, *, area_code: str | None = None) -> str:
    """Return the stored form of a mainland China number, or raise InvalidPhone."""
    if not isinstance(raw, str):
        raise InvalidPhone("phone number must be text")
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not text:
        raise InvalidPhone("phone number is empty")
    if len(text) > 20 or not re.fullmatch(r"\+?\d+", text):
        raise InvalidPhone("phone number may contain only digits and a leading +")
    if text.startswith("00"):
        text = "+" + text[2:]
    if area_code and not text.startswith(("+", "0", "1")) and len(text) in (7, 8):
        # A local landline heard without its area code.
        text = area_code + text
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if number.country_code != 86:
        raise InvalidPhone("only mainland China numbers (+86) are accepted")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid mainland China mobile or landline number")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", national)


def mask(phone: str | None) -> str | None:
    """138****1234: the first three and the last four digits."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return f"{phone[:3]}****{phone[-4:]}"
