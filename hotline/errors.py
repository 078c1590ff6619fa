"""Error responses: JSON under /api, pages elsewhere. Never a bare 500 page or a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from .core.errors import DomainError
from .core.wiring import error_format, is_api_request
from .extensions import db

_HTTP_CODES = {
    400: ("bad_request", "请求格式不正确。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "您无权执行此操作。"),
    404: ("not_found", "页面或资源不存在。"),
    405: ("method_not_allowed", "不支持的请求方法。"),
    409: ("conflict", "与当前状态冲突。"),
    413: ("too_large", "提交的内容过大。"),
    414: ("uri_too_long", "请求地址过长，长文本请放在请求内容中提交。"),
    415: ("unsupported_media_type", "不支持的内容类型。"),
    422: ("invalid", "内容不合法。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
}


def wants_json() -> bool:
    """The API (any API blueprint), and the JSON the pages' scripts fetch (/ui/...): their
    errors are JSON too."""
    return request.path.startswith("/ui/") or is_api_request()


def _json(status: int, body: dict, headers: dict | None = None):
    response = jsonify({"error": body})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _same_site_referrer() -> str | None:
    """The path of the page that sent this request, when it is one of ours."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or parts.scheme not in ("http", "https") or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _page(status: int, title: str, message: str):
    return render_template("error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        render = error_format(app, request.path)
        if render is not None:
            return render(exc.status, exc.message, getattr(exc, "headers", None))
        headers = {"WWW-Authenticate": 'Bearer realm="hotline"'} if exc.status == 401 else None
        headers = {**(headers or {}), **getattr(exc, "headers", {})} or None  # e.g. 429's Retry-After
        if wants_json():
            return _json(exc.status, exc.to_dict(), headers)
        title = _HTTP_CODES.get(exc.status, ("error", "出错了"))[1]
        return _page(exc.status, title, exc.message_zh)[0], exc.status, headers or {}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        render = error_format(app, request.path)
        if render is not None:
            headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None
            return render(status, exc.description or exc.name, headers)
        code, message_zh = _HTTP_CODES.get(status, ("error", "请求失败。"))
        csrf = getattr(exc, "name", "") == "CSRF Error" or exc.__class__.__name__ == "CSRFError"
        if csrf:
            message_zh = "页面已过期，请刷新后重试。"
            back = None if wants_json() else _same_site_referrer()
            if back:
                # Back to the form (through the sign-in page when the session ended too):
                # the intake form's draft is still in the browser and comes back.
                flash("页面已过期（登录超时或页面打开过久），请核对内容后重新提交。", "warning")
                return redirect(back, 303)
        if wants_json():
            message = exc.description or exc.name
            if status == 413:
                limit = app.config.get("MAX_CONTENT_LENGTH")
                message = f"The request body is larger than the limit of {limit} bytes."
            headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None
            return _json(status, {"code": code, "message": message, "message_zh": message_zh}, headers)
        return _page(status, message_zh, message_zh)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        render = error_format(app, request.path)
        if render is not None:
            return render(500, "An unexpected error occurred; it was logged.", None)
        if wants_json():
            return _json(
                500,
                {
                    "code": "internal_error",
                    "message": "An unexpected error occurred; it was logged.",
                    "message_zh": "系统内部错误，已记录。",
                },
            )
        return _page(500, "系统内部错误", "系统内部错误，已记录，请稍后重试。")
