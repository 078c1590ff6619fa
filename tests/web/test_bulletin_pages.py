"""The monthly bulletin in a real browser: preview, publish, and the page printed on A4."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ..reports.bulletin_helpers import at, handled
from .shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.any_database]
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch


@pytest.fixture
def october(app, world):
    """October: tickets at two city departments and a district, on time, late and open."""
    with app.app_context():
        for day in range(1, 29, 3):
            handled(world, lead="DEPT-A", at=at(10, day), reply_after=timedelta(hours=6), satisfaction="satisfied")
        handled(world, lead="DEPT-A", at=at(10, 9), reply_after=timedelta(hours=30), satisfaction="basically_satisfied")
        for day in (3, 8, 15):
            handled(world, lead="DEPT-B", at=at(10, day), reply_after=timedelta(hours=10), satisfaction="dissatisfied")
        handled(world, lead="DEPT-B", at=at(10, 20), reply_after=None)
        handled(
            world,
            lead="DEPT-C",
            at=at(10, 25),
            reply_after=timedelta(hours=2),
            category="MISC",
            request_type="consultation",
        )


def test_preview_publish_and_print_the_bulletin_on_a4(sign_in, page, live_server, october):
    sign_in("supervisor")
    page.goto(f"{live_server}/reports/bulletins")
    page.select_option("#month", "2026-10")
    page.click("#preview-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/reports/bulletins/2026-10")
    assert "预览稿，未发布" in page.locator(".b-head").inner_text()
    page.set_viewport_size({"width": 1366, "height": 768})
    shot(page, "bulletin-preview.png")
    page.click("#publish-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已发布" in page.locator(".flash").inner_text()
    assert "发布时间" in page.locator(".b-head").inner_text()

    # Every chart arrived and was drawn (an SVG the browser could decode).
    images = page.locator(".b-chart img")
    assert images.count() == 6
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), i
    shot(page, "bulletin-page.png")

    # Printed: the site's bar and the buttons are gone, the tables keep their headers.
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".b-actions").is_visible()
    assert page.locator("#units-city thead").evaluate("e => getComputedStyle(e).display") == "table-header-group"
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= A4_WIDTH_PX, f"the printed page is wider than A4: {width}px"
    shot(page, "bulletin-print.png", full_page=True)
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.28) < 1.5 and abs(float(h) - 841.89) < 1.5 for w, h in boxes), boxes[:3]
    assert 2 <= len(boxes) <= 12

    # The list: the published month with its downloads.
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server}/reports/bulletins")
    assert "2026-10" in page.locator("#bulletins").inner_text()
    shot(page, "bulletin-list.png")

    # A unit's staff read the published bulletin, with the same figures.
    sign_in("staff_b")
    page.goto(f"{live_server}/reports/bulletins/2026-10")
    assert "市市场监督管理局" in page.locator("#units-city").inner_text()
