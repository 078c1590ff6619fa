"""The knowledge base (知识库): articles with review and version history, and the Chinese
search operators use while the caller is on the line.

Wired into the app by :func:`init_app` (called from ``hotline.create_app``). It never
imports ``hotline.tickets``; tickets call :func:`knowledge_base.services.get_published`.
"""

from __future__ import annotations


def init_app(app, csrf) -> None:
    """Register the API blueprint and the ``kb`` commands. Nothing is opened here."""
    from .cli import kb_cli
    from .views import bp

    csrf.exempt(bp)  # bearer tokens only, like every API blueprint
    app.register_blueprint(bp)
    app.cli.add_command(kb_cli)
