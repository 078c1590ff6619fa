"""Open311 GeoReport v2 (``/open311/v2/``): the open standard city apps and civic tools
speak, over our categories (services) and tickets (service requests).

- ``views``: the endpoints, XML and JSON (``formats``), public GETs limited per client
  address, ``POST requests`` with a key limited per key;
- ``services``: categories as services and their definitions, the errors, the jurisdiction;
- ``intake``: ``POST requests`` → a ticket (channel open311), ``keep_media_url``;
- ``listing``: ``GET requests``: the filters, the statement, the documents;
- ``keys``: clients' API keys (stored hashed, revocable), issued on the admin page
  ``/admin/open311`` or with ``flask --app wsgi open311 keys create NAME``;
- ``models``: the keys, and each Open311 ticket's location, e-mail and ``media_url``.
"""

from __future__ import annotations


def init_app(app) -> None:
    """Register the endpoints, their error format and the CLI (called by hotline.citizens)."""
    from ...core.wiring import register_cli, register_error_format, register_pages
    from . import cli, views

    app.extensions["csrf"].exempt(views.bp)  # no cookies: a form with an api_key
    register_pages(app, views.bp)
    register_error_format(app, views.PREFIX + "/", views.render_error)
    register_cli(app, cli.open311_cli)
