"""POSTing to other systems (the SMS gateway, the e-supervision system) with the standard library.

Redirects are not followed: a POST that answers 3xx has not been delivered. Any answer
but 2xx, and any network error, raises :class:`DeliveryError` with a short reason, so
that the delivery job records it and rq retries.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass


class DeliveryError(Exception):
    """The other side did not accept the message; the text says why (no secrets in it)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) URL: {url[:40]!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Response(response.status, response.read(65536))
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp else ""
        exc.close()
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}: {detail}".strip()) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"connection failed: {reason}") from None
