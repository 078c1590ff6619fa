"""A throwaway domain for tests/test_wiring.py: one folder, wired like any real one, and with
no rows in the permission tables.

- ``/open311-test/v2/services.json``: an API route under a new prefix that forgets
  ``token_required``;
- ``/notice-board-test``: a page that forgets its sign-in check;
- ``/public-notices-test``: a page declared ``@public``.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.cli import AppGroup

from hotline.core.periodic import Periodic
from hotline.core.wiring import (
    public,
    register_api,
    register_cli,
    register_demo_section,
    register_pages,
    register_periodic,
)

api = Blueprint("throwaway_api", __name__, url_prefix="/open311-test/v2")
pages = Blueprint("throwaway_pages", __name__)
cli = AppGroup("throwaway", help="A throwaway domain's commands.")


@api.get("/services.json")
def services():
    return jsonify([{"service_code": "001"}])


@pages.get("/notice-board-test")
def notice_board():
    return "看板"


@pages.get("/public-notices-test")
@public
def public_notices():
    return "公告"


@cli.command("hello")
def hello():
    print("hello")


def job() -> int:
    return 0


def seed(now) -> tuple[str, int]:
    return "throwaway rows added", 0


def init_app(app) -> None:
    register_api(app, api)
    register_pages(app, pages)
    register_cli(app, cli)
    register_periodic(app, Periodic(name="throwaway", path=f"{__name__}.job", every=60, queue="default", timeout=30))
    register_demo_section(app, f"{__name__}.seed")
