"""Work queues (待办): each role's start page, with the count of each queue in the menu.

- ``definitions``: which queues each role has (the one table);
- ``queries``: each queue as a filtered, ordered SELECT, counted and paged in SQL;
- ``rows``: a page of rows as people read them (countdowns, names, masked numbers);
- ``export``: the Excel of any list (queues and the ticket list);
- ``views``: the pages, the exports and the counts' JSON.

The countdown's words and colours are the deadlines' business (:mod:`hotline.sla.countdown`);
the ticket list's filters and orders the tickets' (:mod:`hotline.tickets.listing`).
"""

from __future__ import annotations


def init_app(app) -> None:
    """Register the pages and the menu's queue line (from ``create_app``)."""
    from ..core.wiring import register_pages
    from . import views

    register_pages(app, views.bp)
    app.jinja_env.globals["queue_tabs"] = views.queue_tabs
