"""How a domain plugs into the app: one ``init_app(app)`` per domain, built from these helpers.

``create_app`` walks ``hotline.DOMAINS`` (dotted module names) and calls each one's
``init_app(app)``, which registers what the domain has:

- ``register_api(app, bp)``: its JSON API blueprint (CSRF-exempt: bearer tokens, never cookies);
- ``register_pages(app, bp)``: its pages blueprint (session sign-in);
- ``register_cli(app, group)``: its ``flask --app wsgi <group>`` commands;
- ``register_periodic(app, Periodic(...))``: its periodic jobs (the scheduler and the
  embedded timer read :func:`periodic_jobs`);
- ``register_demo_section(app, "pkg.module.function")``: its part of ``demo seed``;
- and it connects its own signal receivers.

Access is declared, never assumed: a view is ``@public`` (no sign-in at all), or takes a
bearer token (:func:`mark_bearer`, applied by the API's ``token_required``), or it needs
a signed-in session. :func:`refuse_undeclared` refuses an API route that is neither
public nor behind the bearer check, and sends a signed-out visitor of any other
non-public route to the sign-in page, whatever the view itself forgets.

Nothing here does I/O; everything is kept on ``app.extensions["hotline.wiring"]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app, request

from .errors import Forbidden
from .periodic import Periodic

PUBLIC = "public"
BEARER = "bearer"
SESSION = "session"
_ACCESS = "__hotline_access__"
_KEY = "hotline.wiring"


@dataclass
class Wiring:
    """What the domains registered on one app."""

    domains: list[str] = field(default_factory=list)
    api_blueprints: set[str] = field(default_factory=set)
    page_blueprints: set[str] = field(default_factory=set)
    public_endpoints: set[str] = field(default_factory=set)
    periodic: list[Periodic] = field(default_factory=list)
    demo_sections: list[str] = field(default_factory=list)
    error_formats: list[tuple[str, Callable]] = field(default_factory=list)


def wiring(app: Flask) -> Wiring:
    return app.extensions.setdefault(_KEY, Wiring())


def init_domains(app: Flask, names: Iterable[str]) -> None:
    """Import each domain module and call its ``init_app(app)``, in order."""
    state = wiring(app)
    for name in names:
        if name in state.domains:
            raise RuntimeError(f"domain {name} is listed twice")
        importlib.import_module(name).init_app(app)
        state.domains.append(name)


# -- access declarations ---------------------------------------------------------------


def public(view: Callable) -> Callable:
    """Declare a view public: anyone may call it, signed in or not (it still needs a rule)."""
    setattr(view, _ACCESS, PUBLIC)
    return view


def mark_bearer(view: Callable) -> Callable:
    """Declare a view as checking a bearer token itself (the API's ``token_required``)."""
    setattr(view, _ACCESS, BEARER)
    return view


def declare_public(app: Flask, *endpoints: str) -> None:
    """Declare endpoints public whose view cannot carry a marker (Flask's ``static``)."""
    wiring(app).public_endpoints.update(endpoints)


def access_of(app: Flask, endpoint: str) -> str:
    """``public``, ``bearer`` or ``session`` (the default: whatever is not declared needs a session)."""
    if endpoint in wiring(app).public_endpoints:
        return PUBLIC
    return getattr(app.view_functions[endpoint], _ACCESS, SESSION)


def is_api(app: Flask, endpoint: str) -> bool:
    """Whether the endpoint belongs to a blueprint registered with :func:`register_api`."""
    blueprint = endpoint.rpartition(".")[0]
    return bool(blueprint) and blueprint in wiring(app).api_blueprints


def refuse_undeclared():
    """Before every request (installed by ``create_app``): the default is to deny.

    A public route passes; an API route passes only behind its bearer check (the view's
    ``token_required``); any other route needs a signed-in session, so a signed-out
    visitor goes to the sign-in page (the pages' own check would do the same; this one
    also covers a view that forgot it)."""
    endpoint = request.endpoint
    if endpoint is None or request.method == "OPTIONS":  # no route (404), or Flask's automatic answer
        return None
    access = access_of(current_app, endpoint)
    if access in (PUBLIC, BEARER):
        return None
    if is_api(current_app, endpoint):
        raise Forbidden(
            f"The route {request.url_rule} declares no way to sign in.",
            message_zh="您无权执行此操作。",
            code="undeclared_access",
        )
    from flask_login import current_user

    if current_app.config.get("LOGIN_DISABLED") or current_user.is_authenticated:
        return None
    return current_app.login_manager.unauthorized()


def is_api_request() -> bool:
    """Whether this request is the API's: under /api/ (a 404 there too), or routed to an
    API blueprint whatever its prefix (its errors are JSON, its responses never cached)."""
    if request.path.startswith("/api/"):
        return True
    return request.endpoint is not None and is_api(current_app, request.endpoint)


# -- registration ----------------------------------------------------------------------


def register_api(app: Flask, bp: Blueprint) -> None:
    """A JSON API blueprint: CSRF-exempt, since it accepts bearer tokens only."""
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)
    wiring(app).api_blueprints.add(bp.name)


def register_pages(app: Flask, bp: Blueprint) -> None:
    """A blueprint of web pages (signed in with the session cookie unless ``@public``)."""
    app.register_blueprint(bp)
    wiring(app).page_blueprints.add(bp.name)


def register_cli(app: Flask, *commands) -> None:
    for command in commands:
        if command.name in app.cli.commands:
            raise RuntimeError(f"two domains register the command {command.name!r}")
        app.cli.add_command(command)


def register_periodic(app: Flask, *jobs: Periodic) -> None:
    """Periodic jobs, enqueued by the scheduler (deterministic ids from their names) and run
    by the embedded timer without Redis."""
    state = wiring(app)
    for job in jobs:
        if any(p.name == job.name for p in state.periodic):
            raise RuntimeError(f"two periodic jobs are named {job.name!r}")
        state.periodic.append(job)


def register_error_format(app: Flask, prefix: str, render: Callable) -> None:
    """Errors of every request under ``prefix`` (a protocol's own error format, routing
    errors included): ``render(status, description, headers)`` makes the response."""
    wiring(app).error_formats.append((prefix, render))


def error_format(app: Flask, path: str) -> Callable | None:
    """The error renderer registered for ``path``'s prefix, if any."""
    return next((render for prefix, render in wiring(app).error_formats if path.startswith(prefix)), None)


def register_demo_section(app: Flask, path: str) -> None:
    """A part of ``demo seed``: the dotted path of a function ``(now) -> (label, count added)``,
    run after the demo city's units, users and tickets, in the order the domains are listed."""
    wiring(app).demo_sections.append(path)


# -- what the platform reads back ------------------------------------------------------


def periodic_jobs(app: Flask) -> tuple[Periodic, ...]:
    return tuple(wiring(app).periodic)


def demo_sections(app: Flask) -> tuple[Callable, ...]:
    """The demo sections' functions, imported now (at seed time, not at start-up)."""
    sections = []
    for path in wiring(app).demo_sections:
        module, _, name = path.rpartition(".")
        sections.append(getattr(importlib.import_module(module), name))
    return tuple(sections)
