"""Citizens' own channels (公众服务): what a citizen reaches without a staff sign-in.

- ``progress``: 办理进度查询, the ticket's progress from its number and the last four digits
  of the caller's phone, nothing personal; ``views`` (``POST /api/v1/progress``) and
  ``pages`` (``/progress``), both public and rate-limited (``hotline.core.ratelimit``);
- ``open311``: Open311 GeoReport v2 under ``/open311/v2/`` (services, requests, API keys);
- ``webform``: 网上留言, the public web form (``/message``): the phone confirmed by a one-time
  code sent by SMS, the ticket recorded with channel ``web`` for the operators' triage, up to
  three photos (``hotline.attachments``), rate-limited and guarded against automated abuse;
- ``jobs``: the hourly pruning of the database's rate-limit windows and expired phone codes.
"""

from __future__ import annotations

from ..core.periodic import Periodic


def init_app(app) -> None:
    """Register the public API and page and the pruning job (from ``create_app``)."""
    from ..core.wiring import register_api, register_demo_section, register_pages, register_periodic
    from . import open311, pages, views

    register_api(app, views.bp)
    register_pages(app, pages.bp)
    open311.init_app(app)
    register_demo_section(app, "hotline.citizens.demo.seed")
    register_periodic(
        app,
        Periodic(name="rate-limit-prune", path="hotline.citizens.jobs.prune", every=3600, queue="default", timeout=300),
    )
