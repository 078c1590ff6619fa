import pytest

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import services as reports

from .story import build_november, local

# The reports' tests look back at November 2026 from 10 December.
REPORTS_NOW = local(12, 10, 12)


@pytest.fixture
def app(make_app):
    return make_app(CLOCK=lambda: REPORTS_NOW)


@pytest.fixture
def november(world):
    """The hand-built November 2026 (see tests/reports/story.py); yields inside an app context."""
    with world.app.app_context():
        world.add_user("staff_d2", "unit_staff", "D2")
        reports.ensure_default_reasons(now=clock.now())
        db.session.commit()
        numbers = build_november(world)
        yield numbers
