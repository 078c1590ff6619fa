"""What every request's body and URL must be before any view (or the CSRF check) reads it.

- **The body limit holds for streamed bodies too.** With ``Transfer-Encoding: chunked`` there
  is no Content-Length, and Werkzeug then reads at most ``MAX_CONTENT_LENGTH`` bytes and
  silently drops the rest (a valid ticket followed by 3 MB of spaces was created; a body cut
  at the limit was called invalid JSON). :class:`StreamedBodyLimit` reads such a body whole,
  up to one byte past the limit, before the app sees the request: over the limit it is a 413,
  otherwise the request goes on with the body and its length as if it had been sent so.
- **Form fields are UTF-8.** Werkzeug decodes ``%FF%FE`` in a form into U+FFFD and the text
  would be stored so; the API refuses invalid UTF-8 (``invalid_utf8``), and so do forms.
- **A URL has a length.** gunicorn refuses request lines over 4 KiB before the app sees them;
  behind any server, a query string over :data:`MAX_QUERY_STRING` bytes is a 414 here, in the
  API's error format under /api (long text goes in a POST body: ``POST /api/v1/kb/suggest``).
"""

from __future__ import annotations

import io
import urllib.parse

from flask import Flask, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, RequestURITooLarge

from .errors import BadRequest

_TOO_LARGE = "hotline.body_too_large"
_UPLOADS = "__hotline_uploads__"
# 2,000 characters of text (the longest a query parameter takes), percent-encoded.
MAX_QUERY_STRING = 32 * 1024


class StreamedBodyLimit:
    """WSGI middleware: a body sent without Content-Length is read here, within the limit."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        limit = self.app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and _route_accepts_uploads(self.app, environ):
            limit = upload_limit(self.app.config)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        # The server de-chunks the body and says where it ends (gunicorn, Werkzeug's server).
        streamed = environ.get("wsgi.input_terminated") and (chunked or not environ.get("CONTENT_LENGTH"))
        if limit is not None and streamed:
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                environ[_TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)


def accepts_uploads(view):
    """Declare a view that takes files (multipart): its body may reach ``upload_limit``
    instead of ``MAX_CONTENT_LENGTH``; each file's own limit is the view's to check."""
    setattr(view, _UPLOADS, True)
    return view


def upload_limit(config) -> int:
    """The body limit of a view that takes files: up to five files at their size limit and the form."""
    return 5 * int(config.get("ATTACHMENT_MAX_BYTES") or 5 * 1024 * 1024) + int(config.get("MAX_CONTENT_LENGTH") or 0)


def _accepts_uploads(app: Flask, endpoint: str | None) -> bool:
    return endpoint is not None and getattr(app.view_functions.get(endpoint), _UPLOADS, False)


def _route_accepts_uploads(app: Flask, environ) -> bool:
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match(method=environ.get("REQUEST_METHOD"))
    except HTTPException:  # no such route, method or a redirect: the normal limit applies
        return False
    return _accepts_uploads(app, endpoint)


def _read_at_most(stream, size: int) -> bytes:
    parts, total = [], 0
    while total < size:
        part = stream.read(min(64 * 1024, size - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def refuse_bad_request_framing() -> None:
    """Before every request, first of all: the body over the limit (413), a query string over
    its limit (414), and a form field that is not UTF-8 (400). A view that takes files
    (:func:`accepts_uploads`) reads a larger body."""
    from flask import current_app

    if _accepts_uploads(current_app, request.endpoint):
        request.max_content_length = upload_limit(current_app.config)
    if request.environ.get(_TOO_LARGE):
        raise RequestEntityTooLarge()
    if len(request.environ.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        raise RequestURITooLarge(f"The query string is longer than {MAX_QUERY_STRING} bytes; send long text in a body.")
    if request.mimetype == "application/x-www-form-urlencoded":
        field = _first_field_not_utf8(request.get_data(cache=True))
        if field is not None:
            raise BadRequest(
                f"The form field {field!r} is not valid UTF-8.",
                message_zh="提交的内容含有无效的字符编码，请检查后重新提交。",
                code="invalid_utf8",
                field=field,
            )


def _first_field_not_utf8(raw: bytes) -> str | None:
    for pair in raw.split(b"&"):
        key, _, value = pair.partition(b"=")
        try:
            name = urllib.parse.unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return "?"
        try:
            urllib.parse.unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return name
    return None


def install(app: Flask) -> None:
    """Called by ``create_app`` before anything else registers a before-request hook."""
    app.wsgi_app = StreamedBodyLimit(app.wsgi_app, app)
    app.before_request(refuse_bad_request_framing)
