"""The dashboard (工作台) in a real browser: the start page renders, and refreshes itself."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from hotline.extensions import db
from hotline.sla.models import Deadline
from hotline.tickets.models import Ticket

from ..conftest import FROZEN_NOW

pytestmark = [pytest.mark.browser, pytest.mark.any_database]


def _due_in(world, number, minutes):
    with world.app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number))
        due = FROZEN_NOW + timedelta(minutes=minutes)
        db.session.execute(
            update(Deadline).where(Deadline.ticket_id == ticket_id, Deadline.stopped_at.is_(None)).values(due_at=due)
        )
        db.session.commit()


def test_the_start_page_renders_and_refreshes_itself(sign_in, page, live_server, world, app):
    app.config["DASHBOARD_REFRESH_SECONDS"] = 1
    soon = world.ticket("accepted", lead="DEPT-A")
    _due_in(world, soon, 45)
    sign_in("supervisor")
    assert page.url.endswith("/queues/decide")  # the supervisor's start page is the queue; the dashboard is in the menu
    page.click("nav.nav >> text=工作台")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/dashboard")
    assert page.locator("h1").inner_text() == "督办工作台"
    assert page.locator("#tile-due-soon").inner_text() == "1"
    row = page.locator("#due-soon tbody tr").first
    assert soon in row.inner_text() and "剩45分钟" in row.inner_text()
    assert page.locator("#tile-extensions").inner_text() == "0"
    page.evaluate("window.notReloaded = true")

    # A unit asks for more time: the page shows it within a refresh, without reloading.
    asked = world.ticket("extension_pending", lead="DEPT-B")
    expect(page.locator("#tile-extensions")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert asked in page.locator("#extensions tbody").inner_text()
    page.locator("#extensions a", has_text="审批").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/tickets/{asked}#action-decide-extension")
    assert page.locator("#action-decide-extension").is_visible()


def test_unit_staff_see_their_own_units_dashboard(sign_in, page, live_server, world, app):
    app.config["DASHBOARD_REFRESH_SECONDS"] = 1
    own = world.ticket("accepted", lead="DEPT-A")
    other = world.ticket("accepted", lead="DEPT-B")
    _due_in(world, own, 20)
    _due_in(world, other, 30)
    sign_in("staff_a")
    page.goto(f"{live_server}/dashboard")
    assert page.url.endswith("/dashboard")
    assert page.locator("h1").inner_text() == "市人力资源和社会保障局 · 工作台"
    body = page.locator("#dashboard").inner_text()
    assert own in body and other not in body
    assert "当前突发热点" not in body
    page.evaluate("window.notReloaded = true")
    _due_in(world, other, -30)  # another unit's ticket overdue: nothing changes here
    late = world.ticket("accepted", lead="DEPT-A")
    _due_in(world, late, -90)
    expect(page.locator("#tile-overdue")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    body = page.locator("#dashboard").inner_text()
    assert late in body and "已超时1小时30分" in body and other not in body
