"""Assessment and reports (考核与报表): figures, rankings, the monthly bulletin, hot topics, spikes."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the domain's API and page blueprints, CLI groups and signal receivers."""
    from ..extensions import csrf
    from . import topics_terms
    from .topics_cli import cli as topics_cli
    from .topics_pages import bp as topics_pages
    from .topics_views import bp as topics_api

    csrf.exempt(topics_api)  # bearer tokens only
    app.register_blueprint(topics_api)
    app.register_blueprint(topics_pages)
    app.cli.add_command(topics_cli)
    topics_terms.connect()
