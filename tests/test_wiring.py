"""One way to wire a domain (hotline.core.wiring), and the route guard that follows every route.

A throwaway domain (tests/throwaway_domain) is added to ``hotline.DOMAINS`` like any real
one: its routes, commands, periodic job and demo section are wired, and the suite's guard
(tests/route_guard.py, behind test_every_route_has_a_rule and test_every_page_has_a_rule)
reports each of its routes, since none has a rule; the default deny refuses what they
forgot to check.
"""

import pytest

import hotline
from hotline.core.wiring import periodic_jobs, wiring
from tests import route_guard

THROWAWAY = "tests.throwaway_domain"


@pytest.fixture
def throwaway_app(make_app, monkeypatch):
    monkeypatch.setattr(hotline, "DOMAINS", (*hotline.DOMAINS, THROWAWAY))
    return make_app()


def test_a_domain_is_one_folder_and_one_line(throwaway_app):
    app = throwaway_app
    assert wiring(app).domains[-1] == THROWAWAY
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert {"/open311-test/v2/services.json", "/notice-board-test", "/public-notices-test"} <= rules
    assert "throwaway" in app.cli.commands
    assert [p.name for p in periodic_jobs(app)] == [
        "sla-sweep",
        "dispatch-suggestions-train",
        "dispatch-suggestions-record",
        "kb-review-due",
        "kb-embed-missing",
        "notifications-requeue",
        "esup-requeue",
        "topics-terms-backfill",
        "topics-spikes",
        "topics-snapshots",
        "figure-rollups",
        "bulletin-corrections",
        "rate-limit-prune",
        "throwaway",
    ]
    assert wiring(app).demo_sections[-1] == f"{THROWAWAY}.seed"
    assert "throwaway_api" in wiring(app).api_blueprints


def test_the_guard_reports_every_route_of_the_throwaway_domain(throwaway_app):
    from tests.api.test_route_permissions import RULES
    from tests.web.test_page_permissions import PAGES

    # An API route under a new prefix, with no rule and no bearer check.
    assert route_guard.check(throwaway_app, "api", RULES) == [
        "no permission rule for GET /open311-test/v2/services.json",
        "API route neither @public nor behind token_required: GET /open311-test/v2/services.json",
    ]
    # A page with no rule, and a page declared public with no rule: both fail.
    assert route_guard.check(throwaway_app, "pages", PAGES) == [
        "no permission rule for GET /notice-board-test",
        "no permission rule for GET /public-notices-test",
    ]


def test_the_guard_reports_a_rule_that_lets_signed_out_visitors_into_a_route_not_declared_public(throwaway_app):
    from tests.web.test_page_permissions import PAGES

    rows = {
        ("GET", "/notice-board-test"): {"expected": {"anonymous": 200}},
        ("GET", "/public-notices-test"): {"expected": {"anonymous": 200}},
    }
    assert route_guard.check(throwaway_app, "pages", {**PAGES, **rows}) == [
        "signed-out visitors get 200 but the route is not @public: GET /notice-board-test"
    ]


def test_the_guard_reports_rules_of_routes_that_are_gone(app):
    from tests.api.test_route_permissions import RULES

    assert route_guard.check(app, "api", {**RULES, ("GET", "/open311-test/v2/services.json"): {}}) == [
        "a rule for a route that does not exist: GET /open311-test/v2/services.json"
    ]


def test_what_a_route_forgets_to_check_is_refused(throwaway_app):
    from tests.factories import World

    app = throwaway_app
    with app.app_context():
        world = World.build(app)
    anonymous = app.test_client()
    r = anonymous.get("/notice-board-test")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert anonymous.get("/public-notices-test").status_code == 200
    r = anonymous.get("/open311-test/v2/services.json")
    assert r.status_code == 403 and r.json["error"]["code"] == "undeclared_access"
    assert r.headers["Cache-Control"] == "no-store"  # an API response, whatever its prefix
    r = world.client("admin").get("/open311-test/v2/services.json")  # a valid token changes nothing
    assert r.status_code == 403 and r.json["error"]["message_zh"]
    signed_in = app.test_client()
    assert signed_in.post("/login", data={"username": "admin", "password": "password-123"}).status_code == 302
    assert signed_in.get("/notice-board-test").status_code == 200


def test_a_domain_listed_twice_or_two_registrations_of_one_name_are_refused(make_app, monkeypatch):
    from hotline.core.wiring import register_cli, register_periodic

    app = make_app()
    with pytest.raises(RuntimeError, match="two periodic jobs"):
        register_periodic(app, periodic_jobs(app)[0])
    with pytest.raises(RuntimeError, match="two domains register the command"):
        register_cli(app, app.cli.commands["sla"])
    monkeypatch.setattr(hotline, "DOMAINS", (*hotline.DOMAINS, "hotline.units"))
    with pytest.raises(RuntimeError, match="listed twice"):
        make_app()
