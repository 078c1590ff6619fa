"""Assessment and reports (考核与报表): the figures per unit, level and the whole city,
exemptions (考核免责), the weighted score and ranking, and the tickets behind each figure.

- ``periods``: months and date ranges in the centre's zone;
- ``figures``: every figure, in SQL; ``definitions``: every figure, in words;
- ``scores``: the weighted score and the ranking; ``drill``: the tickets behind a figure;
- ``services``: exemptions and score schemes (audited); ``views``: the API; ``pages``: the pages;
- ``dashboard``: the supervisor's start page (工作台) and the unit's version
  (``dashboard_pages``, ``dashboard_views``).
"""

from __future__ import annotations


def init_app(app, csrf=None) -> None:
    """Register the domain's API and pages (called once by create_app)."""
    if csrf is None:
        from ..extensions import csrf
    from . import dashboard_pages, dashboard_views

    csrf.exempt(dashboard_views.bp)  # bearer tokens only
    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(dashboard_pages.bp)
