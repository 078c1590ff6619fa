"""Domain exceptions: services raise these; views and the API turn them into responses.

Each carries a machine ``code``, an English ``message`` (the API), a Chinese
``message_zh`` (the web pages), and optionally the ``field`` that was wrong.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        message_zh: str | None = None,
        code: str | None = None,
        field: str | None = None,
        details: list[dict] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message, "message_zh": self.message_zh}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class InvalidInput(DomainError):
    """A well-formed request whose content is not acceptable (422)."""

    status = 422
    code = "invalid"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"

    def __init__(self, message: str = "The ticket was changed by someone else; reload and try again.", **kw):
        kw.setdefault("message_zh", "工单已被他人处理，请刷新后重试。")
        super().__init__(message, **kw)


class TooManyRequests(DomainError):
    """Slow down: try again in ``retry_after`` seconds (sent as the Retry-After header)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
