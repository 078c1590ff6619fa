"""The web pages (Simplified Chinese), signed in with a session cookie."""

from __future__ import annotations

from flask import Flask

from ..accounts.services import load_session_user
from ..extensions import login_manager


def register(app: Flask) -> None:
    from . import knowledge, supervision, tickets, views

    login_manager.user_loader(load_session_user)
    login_manager.login_view = "web.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    app.register_blueprint(views.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(knowledge.bp)
    app.jinja_env.globals.update(views.template_globals())
