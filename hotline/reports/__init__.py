"""Assessment and reports (考核与报表): the figures per unit, level and the whole city,
exemptions (考核免责), the weighted score and ranking, the tickets behind each figure, hot
topics and spikes, and the monthly bulletin (运行情况通报).

- ``periods``: months and date ranges in the centre's zone;
- ``figures``: every figure, in SQL; ``definitions``: every figure, in words;
- ``scores``: the weighted score and the ranking; ``drill``: the tickets behind a figure;
- ``services``: exemptions and score schemes (audited); ``views``: the API; ``pages``: the pages;
- ``monthly``: the bulletin's document; ``bulletins``: publish, freeze, corrections;
  ``render_html``/``render_xlsx``/``charts``: its formats; ``cli``: ``flask report monthly``.
"""

from __future__ import annotations

# Ticket events this domain records, as the ticket's history shows them.
EVENT_LABELS = {
    "exemption_requested": "申请考核免责",
    "exemption_approved": "考核免责已批准",
    "exemption_refused": "考核免责未批准",
}


def init_app(app, csrf=None) -> None:
    """Register the domain's API, pages, menu items, event labels, demo data and CLI (from
    create_app): the figures and exemptions, hot topics and spikes, the monthly bulletin."""
    if csrf is None:
        from ..extensions import csrf
    from ..demo.seed import EXTRA_SECTIONS
    from ..tickets import schemas as ticket_schemas
    from ..web import views as web_views
    from . import pages, permissions
    from .demo import seed_reasons
    from .views import bp as api

    csrf.exempt(api)  # bearer tokens only
    app.register_blueprint(api)
    app.register_blueprint(pages.bp)
    app.jinja_env.globals["exemption_panel"] = pages.exemption_panel
    for action, label in EVENT_LABELS.items():
        ticket_schemas.EVENT_LABELS.setdefault(action, label)
    item = ("考核报表", "reports_pages.figures", permissions.can_view_some_figures)
    if item not in web_views.NAV:
        web_views.NAV.append(item)
    if seed_reasons not in EXTRA_SECTIONS:
        EXTRA_SECTIONS.append(seed_reasons)
    # Hot topics and spikes: API (bearer tokens only), pages, CLI, the term receivers.
    from . import topics_terms
    from .topics_cli import cli as topics_cli
    from .topics_pages import bp as topics_pages
    from .topics_views import bp as topics_api

    csrf.exempt(topics_api)
    app.register_blueprint(topics_api)
    app.register_blueprint(topics_pages)
    app.cli.add_command(topics_cli)
    topics_terms.connect()
    # The monthly bulletin (运行情况通报): its API (bearer tokens only), pages and CLI.
    from . import bulletin_pages, bulletin_views, cli

    csrf.exempt(bulletin_views.bp)
    app.register_blueprint(bulletin_views.bp)
    app.register_blueprint(bulletin_pages.bp)
    cli.register(app)
