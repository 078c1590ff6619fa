import pytest

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import services as reports

from .story import build_november


@pytest.fixture
def november(world):
    """The hand-built November 2026 (see tests/reports/story.py); yields inside an app context."""
    with world.app.app_context():
        world.add_user("staff_d2", "unit_staff", "D2")
        reports.ensure_default_reasons(now=clock.now())
        db.session.commit()
        numbers = build_november(world)
        yield numbers
