"""The web pages (Simplified Chinese), signed in with a session cookie."""

from __future__ import annotations

from flask import Flask, flash, redirect, request
from flask_login import login_url

from ..accounts.services import load_session_user
from ..core.errors import Unauthorized
from ..errors import wants_json
from ..extensions import login_manager


def _unauthorized():
    """Signed out: the pages go to the sign-in page and come back; the JSON their scripts
    fetch (/ui/...) gets a JSON 401 the script can show, not the sign-in page's HTML."""
    if wants_json():
        raise Unauthorized(
            "Sign in first: there is no session, or it has ended.",
            message_zh="登录已失效，请刷新页面重新登录。",
            code="not_signed_in",
        )
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def init_app(app: Flask) -> None:
    """The sign-in session and the pages of every domain (from ``create_app``)."""
    from ..core.wiring import register_pages
    from . import admin, attachments, callers, dispatch, knowledge, supervision, tickets, views

    login_manager.user_loader(load_session_user)
    login_manager.login_view = "web.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_unauthorized)
    for bp in (views.bp, tickets.bp, attachments.bp, callers.bp, supervision.bp, knowledge.bp, dispatch.bp):
        register_pages(app, bp)
    admin.init_app(app)
    app.jinja_env.globals.update(views.template_globals())
