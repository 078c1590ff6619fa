"""The guard behind "every route has a rule": routes of ANY prefix, split by how they are wired.

- ``api``: every route of a blueprint registered with ``wiring.register_api`` (today all
  under /api/v1; a future /open311/... too); its rules are tests/api/test_route_permissions.py's
  ``RULES`` (and tests/api/route_rules_*.py).
- ``pages``: every other route, whatever its prefix (pages, the /ui/ JSON the pages'
  scripts fetch, /healthz, /static, a route a domain adds with ``app.add_url_rule``); its
  rules are tests/web/test_page_permissions.py's ``PAGES`` (and tests/web/page_rules_*.py).

:func:`check` lists what is wrong: a route without a rule (public ones included: being
public is a rule like any other, and the matrix checks it for every role), a rule for a
route that does not exist, an API route that is neither ``@public`` nor behind the bearer
check, a bearer route outside an API blueprint, and a rule that lets a signed-out visitor
in (2xx) on a route not declared ``@public``.
"""

from __future__ import annotations

from flask import Flask

from hotline.core.wiring import BEARER, PUBLIC, access_of, is_api

KINDS = ("api", "pages")


def routes(app: Flask, kind: str) -> dict[tuple[str, str], str]:
    """(method, rule) → endpoint of every route of this kind (HEAD and OPTIONS are Flask's)."""
    if kind not in KINDS:
        raise ValueError(kind)
    found = {}
    for rule in app.url_map.iter_rules():
        if is_api(app, rule.endpoint) != (kind == "api"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(method, rule.rule)] = rule.endpoint
    return found


def check(app: Flask, kind: str, rules: dict) -> list[str]:
    """Everything wrong between the app's routes of ``kind`` and their permission table."""
    found = routes(app, kind)
    problems = [f"no permission rule for {m} {r}" for m, r in sorted(set(found) - set(rules))]
    problems += [f"a rule for a route that does not exist: {m} {r}" for m, r in sorted(set(rules) - set(found))]
    for (method, rule), endpoint in sorted(found.items()):
        access = access_of(app, endpoint)
        if kind == "api" and access not in (PUBLIC, BEARER):
            problems.append(f"API route neither @public nor behind token_required: {method} {rule}")
        if kind == "pages" and access == BEARER:
            problems.append(f"bearer-token route outside an API blueprint (register_api): {method} {rule}")
        anonymous = (rules.get((method, rule)) or {}).get("expected", {}).get("anonymous")
        if anonymous is not None and anonymous < 300 and access != PUBLIC:
            problems.append(f"signed-out visitors get {anonymous} but the route is not @public: {method} {rule}")
    return problems
