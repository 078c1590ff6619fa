"""The two formats of GeoReport v2: XML (required) and JSON (the Spark convention).

A document is built once as plain Python (dicts, lists, scalars) in the JSON shape, and
written as either format: in XML every list is a wrapper element whose items are named by
:data:`ITEMS` (``services`` → ``service``), ``True``/``False`` are ``true``/``false`` and
None an empty element; the XML has a UTF-8 declaration and no namespace, as the
specification asks.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from flask import Response

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# A list's wrapper element → its items' element.
ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(out: list[str], name: str, value) -> None:
    """Append ``value`` as the element ``name`` (strings joined once at the end: a thousand
    requests are 17,000 elements, several times faster than building an ElementTree)."""
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, child in value.items():
            _write(out, key, child)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        item = ITEMS[name]
        out.append(f"<{name}>")
        for child in value:
            _write(out, item, child)
        out.append(f"</{name}>")
    else:
        text = _text(value)
        out.append(f"<{name}/>" if text is None else f"<{name}>{escape(text)}</{name}>")


def to_xml(root: str, document) -> bytes:
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    _write(out, root, document)
    return "".join(out).encode("utf-8")


def respond(fmt: str, root: str, document, status: int = 200, headers: dict | None = None) -> Response:
    """``document`` as ``fmt``; ``root`` names the XML root (``services``, ``service_requests`` ...)."""
    if fmt == "json":
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        body = to_xml(root, document)
    response = Response(body, status=status, content_type=CONTENT_TYPES[fmt])
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def errors(fmt: str, status: int, items: list[tuple[object, str]], headers: dict | None = None) -> Response:
    """The specification's error answer: a list of ``{code, description}``."""
    document = [{"code": code, "description": description} for code, description in items]
    return respond(fmt, "errors", document, status, headers)


def format_of_path(path: str) -> str:
    """The format a path asks for (its suffix); XML, the required one, otherwise."""
    return "json" if path.rsplit("/", 1)[-1].endswith(".json") else "xml"
