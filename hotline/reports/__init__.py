"""Assessment and reports (考核与报表): the figures per unit, level and the whole city,
exemptions (考核免责), the weighted score and ranking, the tickets behind each figure, hot
topics and spikes, the supervisor's dashboard, and the monthly bulletin (运行情况通报).

- ``periods``: months and date ranges in the centre's zone;
- ``figures``: every figure, in SQL; ``definitions``: every figure, in words;
- ``scores``: the weighted score and the ranking; ``drill``: the tickets behind a figure;
- ``services``: exemptions and score schemes (audited); ``views``: the API; ``pages``: the pages;
- ``topics``: hot topics and spikes (``topics_*``);
- ``dashboard``: the supervisor's start page (工作台) and the unit's version
  (``dashboard_pages``, ``dashboard_views``).
- ``monthly``: the bulletin's document; ``bulletins``: publish, freeze, corrections;
  ``render_html``/``render_xlsx``/``charts``: its formats; ``cli``: ``flask report monthly``.
"""

from __future__ import annotations


def init_app(app, csrf=None) -> None:
    """Register the domain's API and page blueprints, CLI groups and signal receivers
    (called once by create_app)."""
    if csrf is None:
        from ..extensions import csrf
    from . import dashboard_pages, dashboard_views, topics_terms
    from .topics_cli import cli as topics_cli
    from .topics_pages import bp as topics_pages
    from .topics_views import bp as topics_api

    for api in (dashboard_views.bp, topics_api):
        csrf.exempt(api)  # bearer tokens only
        app.register_blueprint(api)
    app.register_blueprint(dashboard_pages.bp)
    app.register_blueprint(topics_pages)
    app.cli.add_command(topics_cli)
    topics_terms.connect()
    # The monthly bulletin (运行情况通报): its API (bearer tokens only), pages and CLI.
    from . import bulletin_pages, bulletin_views, cli

    csrf.exempt(bulletin_views.bp)
    app.register_blueprint(bulletin_views.bp)
    app.register_blueprint(bulletin_pages.bp)
    cli.register(app)
