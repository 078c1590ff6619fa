"""Masking citizens' personal numbers in text that leaves the system or reaches a masked role.

One implementation for every output: :func:`mask_personal_numbers` finds mobile numbers,
landlines (with or without the area code) and resident identity numbers (身份证号) inside
free text and masks them; :func:`scrub` applies it to every string of a nested value.
The e-supervision connector, the outbox's messages to units, the API's JSON and the pages
(:func:`install`) all call it. The stored text always stays as typed.

What counts as a number (digits may be full-width, as typed; separators kept as typed):

- a mobile: ``1[3-9]`` and 9 more digits, optionally ``+86``/``86`` first and spaced or
  dashed as ``138 0013 8000`` / ``138-0013-8000``;
- a landline with its area code: ``0`` and 2–3 digits, optionally in brackets, then 7–8
  digits (``0757-8888 6666``, ``(010)12345678``, ``075788886666``);
- a local landline: 7–8 digits starting 2–9 (``88886666``, ``8888-6666``), except the
  first half of a ticket number (``20261121-000001``);
- a resident identity number: 18 characters (17 digits and a digit or X, with a birth
  date inside) or the old 15 digits.

A number glued to ASCII letters or other digits is not one (a token, a hash, a longer
figure), so signed tokens and ticket numbers pass unchanged. Masking keeps the first three
and the last four digits of an 11-digit-or-longer number (``138****8000``), the last two of
a shorter one (``******66``); separators stay where they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .phones import mask

_D = r"\d"  # any Unicode decimal digit: full-width digits are digits too
_EDGE_BEFORE = r"(?<![A-Za-z0-9_\d])"
_EDGE_AFTER = r"(?![A-Za-z0-9_\d])"
_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"

_RESIDENT_ID = rf"[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_DATE}\d{{3}}[\dXx]|[1-9]\d{{7}}{_DATE}\d{{3}}"
_MOBILE_NUMBER = r"(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
_WITH_AREA = r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[- ]?\d{3,4}[- ]?\d{4}"
# Not the first half of a ticket number (20261121-000001), nor after one's dash.
_LOCAL = r"(?<!\d-)[2-9]\d{2,3}[- ]?\d{4}(?!-\d)"

_NUMBER = re.compile(
    rf"{_EDGE_BEFORE}(?:{_RESIDENT_ID}|{_MOBILE_NUMBER}|{_WITH_AREA}|{_LOCAL}){_EDGE_AFTER}",
)
_DIGITISH = re.compile(r"[\dXx]")


def _mask_match(match: re.Match) -> str:
    text = match.group(0)
    positions = [i for i, ch in enumerate(text) if _DIGITISH.match(ch)]
    if text.startswith("+86") or (text.startswith("86") and len(positions) > 11):
        positions = positions[2:]  # the country code is not part of the number
    n = len(positions)
    keep = set(positions[:3] + positions[-4:]) if n >= 11 else set(positions[-2:])
    return "".join("*" if i in positions and i not in keep else ch for i, ch in enumerate(text))


# Full-width digits and brackets read as ASCII, one character for one (positions stay).
_HALF_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"＋": "+", "－": "-"})


def _matches(text: str):
    return _NUMBER.finditer(text.translate(_HALF_WIDTH))


def mask_personal_numbers(text: str | None) -> str | None:
    """``text`` with every phone number and resident identity number in it masked."""
    if not text:
        return text
    out, start = [], 0
    for match in _matches(text):
        typed = text[match.start() : match.end()]
        # Only digits become *: the rest stays as typed (full-width stays full-width).
        masked = "".join("*" if m == "*" else t for m, t in zip(_mask_match(match), typed, strict=True))
        out += [text[start : match.start()], masked]
        start = match.end()
    if not out:
        return text
    out.append(text[start:])
    return "".join(out)


def has_personal_number(text: str | None) -> bool:
    """Whether ``text`` still holds a number :func:`mask_personal_numbers` would mask."""
    return bool(text) and next(_matches(text), None) is not None


def personal_numbers(text: str | None) -> list[str]:
    """Every phone number and resident identity number in ``text``, as typed (the reply check)."""
    return [text[m.start() : m.end()] for m in _matches(text)] if text else []


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
    """``text`` with every personal number, and each of ``also`` (exact strings), masked."""
    if not text:
        return text
    for value in also:
        if value:
            text = text.replace(value, mask_address(value))
    return mask_personal_numbers(text)


# Every number masked holds three digits in a row (a mobile's 1[3-9]d, an area code's 0dd,
# a local number's first three, an identity number): text without them has nothing to mask.
_THREE_DIGITS = re.compile(r"\d{3}")


def scrub(value, *also: str | None):
    """``mask_numbers`` applied to every string inside nested dicts and lists (keys stay)."""
    if not also:
        return _scrub(value)
    if isinstance(value, str):
        return mask_numbers(value, *also)
    if isinstance(value, dict):
        return {k: scrub(v, *also) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, *also) for v in value]
    return value


_LEAVES = frozenset({int, float, bool, type(None)})


def _scrub(value):
    """``scrub`` without ``also``: a JSON answer's hundreds of strings, numbers and nulls are
    tested where they sit, not each in a call of its own (an action's answer has about 200)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict:
        items = value.items()
    elif kind is list or kind is tuple:
        items = enumerate(value)
    elif isinstance(value, str):
        return value if _THREE_DIGITS.search(value) is None else mask_personal_numbers(value)
    elif isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return value
    out = {}
    for key, item in items:
        kind = type(item)
        if kind is str:
            # labels, codes, names, times: most of an answer's strings have nothing to mask
            out[key] = item if _THREE_DIGITS.search(item) is None else mask_personal_numbers(item)
        elif kind in _LEAVES:
            out[key] = item
        else:
            out[key] = _scrub(item)
    return out if isinstance(value, dict) else list(out.values())


# --- the outputs: JSON answers and pages ------------------------------------------------

_POLICY = "hotline.privacy"


def install(app, viewer_is_masked: Callable[[], bool | None]) -> None:
    """Mask every JSON answer and every page shown to a masked viewer, in one place each.

    ``viewer_is_masked()`` says, inside a request, whether whoever it serves must not read
    personal numbers (the accounts domain decides by role), or None while nobody is signed
    in. JSON: the app's JSON provider
    scrubs every string of the document ``jsonify`` answers with (the API's ``ok()``, the
    pages' ``/ui/`` JSON, errors). Pages: Jinja's ``finalize`` masks every ``{{ ... }}``
    a template prints, so a field added to a template later is masked without anyone
    remembering to. Set before the first template is compiled (from ``init_app``).
    """
    from flask.json.provider import DefaultJSONProvider
    from markupsafe import Markup

    app.extensions[_POLICY] = viewer_is_masked

    class MaskingJSONProvider(DefaultJSONProvider):
        def response(self, *args, **kwargs):
            if masking_now():
                if kwargs:
                    kwargs = scrub(kwargs)
                else:
                    args = tuple(scrub(a) for a in args)
            return super().response(*args, **kwargs)

    app.json_provider_class = MaskingJSONProvider
    app.json = MaskingJSONProvider(app)

    def finalize(value):
        if value is None or not isinstance(value, str) or not masking_now():
            return value
        masked = mask_personal_numbers(value)
        # Already-safe markup stays safe: only digits were replaced, by "*".
        return Markup(masked) if isinstance(value, Markup) else masked  # noqa: S704

    app.jinja_env.finalize = finalize


def settle(masked: bool) -> None:
    """Record, as soon as the request's viewer is known (authentication), whether it is masked:
    asking later, after the commit, would read the expired user back from the database."""
    from flask import g, has_request_context

    if has_request_context():
        g._masks_personal_numbers = bool(masked)


def masking_now() -> bool:
    """Whether the current request's viewer must see personal numbers masked (memoised per request)."""
    from flask import current_app, g, has_request_context

    if not has_request_context():
        return False
    cached = g.get("_masks_personal_numbers")
    if cached is None:
        policy = current_app.extensions.get(_POLICY)
        answer = policy() if policy else None
        if answer is None:  # nobody signed in (yet): nothing personal is served to them
            return False
        cached = g._masks_personal_numbers = bool(answer)
    return cached
