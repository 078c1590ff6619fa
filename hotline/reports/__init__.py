"""Assessment and reports (考核与报表): figures, rankings, exemptions, hot topics, the
monthly bulletin and the supervisor's dashboard."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the domain's API blueprints (csrf-exempt: bearer tokens only), pages and CLI."""
    from ..extensions import csrf
    from . import bulletin_pages, bulletin_views, cli

    csrf.exempt(bulletin_views.bp)
    app.register_blueprint(bulletin_views.bp)
    app.register_blueprint(bulletin_pages.bp)
    cli.register(app)
