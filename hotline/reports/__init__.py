"""Assessment and reports (考核与报表): figures per unit, the monthly bulletin, hot topics,
exemptions, and the supervisor's dashboard."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the domain's API (csrf-exempt: bearer tokens only) and page blueprints."""
    from ..extensions import csrf
    from . import dashboard_pages, dashboard_views

    csrf.exempt(dashboard_views.bp)
    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(dashboard_pages.bp)
