"""Assessment and reports (考核与报表): the figures per unit, level and the whole city,
exemptions (考核免责), the weighted score and ranking, the tickets behind each figure, hot
topics and spikes, the monthly bulletin (运行情况通报) and the supervisor's dashboard.

- ``periods``: months and date ranges in the centre's zone;
- ``figures``: every figure, in SQL; ``definitions``: every figure, in words;
- ``scores``: the weighted score and the ranking; ``drill``: the tickets behind a figure;
- ``services``: exemptions and score schemes (audited); ``views``: the API; ``pages``: the pages;
- ``topics``: hot topics and spikes (``topics_*``);
- ``monthly``: the bulletin's document; ``bulletins``: publish, freeze, corrections;
  ``render_html``/``render_xlsx``/``charts``: its formats; ``cli``: ``flask report monthly``;
- ``rollups``: closed months' figures stored, ``rollup_watch``: what makes them stale;
- ``dashboard``: the supervisor's start page (工作台) and the unit's version
  (``dashboard_pages``, ``dashboard_views``).
"""

from __future__ import annotations

# Ticket events this domain records, as the ticket's history shows them.
EVENT_LABELS = {
    "exemption_requested": "申请考核免责",
    "exemption_approved": "考核免责已批准",
    "exemption_refused": "考核免责未批准",
}


def init_app(app) -> None:
    """Register the domain's APIs, pages, CLI groups, receivers, periodic jobs, event labels
    and demo section (from ``create_app``); its menu items are in ``hotline.web.views.NAV``."""
    from ..core.wiring import register_api, register_cli, register_demo_section, register_pages, register_periodic
    from ..tickets import schemas as ticket_schemas
    from . import (
        bulletin_pages,
        bulletin_views,
        dashboard_pages,
        dashboard_views,
        pages,
        rollup_watch,
        topics_pages,
        topics_terms,
        topics_views,
        views,
    )
    from .cli import report_cli
    from .topics_cli import cli as topics_cli

    for bp in (views.bp, topics_views.bp, bulletin_views.bp, dashboard_views.bp):
        register_api(app, bp)
    for bp in (pages.bp, topics_pages.bp, bulletin_pages.bp, dashboard_pages.bp):
        register_pages(app, bp)
    register_cli(app, report_cli, topics_cli)
    topics_terms.connect()
    rollup_watch.install()
    app.jinja_env.globals["exemption_panel"] = pages.exemption_panel
    for action, label in EVENT_LABELS.items():
        ticket_schemas.EVENT_LABELS.setdefault(action, label)
    register_demo_section(app, "hotline.reports.demo.seed_reasons")
    register_periodic(app, *_periodic_jobs())


def _periodic_jobs():
    from ..core.periodic import Periodic

    return (
        # Hot topics: tickets whose terms a lost job or a new analyser version left behind, and
        # the spike rule over the last 72 hours (every 10 minutes; idempotent: one term set per
        # ticket, one open spike per area/category and anchor term).
        Periodic(
            name="topics-terms-backfill",
            path="hotline.reports.topics_terms.backfill_job",
            every=600,
            queue="default",
            timeout=600,
        ),
        Periodic(
            name="topics-spikes",
            path="hotline.reports.topics_spikes.detect_job",
            every=600,
            queue="default",
            timeout=300,
        ),
        # Closed months' hot topics stored for the bulletin and the page (hourly; recomputed only
        # when their terms changed).
        Periodic(
            name="topics-snapshots",
            path="hotline.reports.topics_snapshots.refresh_job",
            every=3600,
            queue="default",
            timeout=900,
        ),
        # Closed months' figures stored (rollups) for the bulletin, the ranking and the trend:
        # the last twelve months that lack a current one (every 10 minutes; a month is rebuilt
        # only after a change made it stale; idempotent, two at once both store current rows).
        Periodic(
            name="figure-rollups",
            path="hotline.reports.rollups.refresh_job",
            every=600,
            queue="default",
            timeout=1800,
        ),
        # Published bulletins of the last twelve months compared with their months computed
        # now: differences become one dated correction each (daily; a second run finds nothing
        # new, two at once are refused by a unique sequence per bulletin).
        Periodic(
            name="bulletin-corrections",
            path="hotline.reports.bulletins.check_published",
            every=86400,
            queue="default",
            timeout=1800,
        ),
    )
