import pytest

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import services as reports

from ..conftest import _build_world, world_on
from .story import build_november, local

# The reports' tests look back at November 2026 from 10 December.
REPORTS_NOW = local(12, 10, 12)


def _build_november(database):
    def build(app):
        world = world_on(app, database)
        world.add_user("staff_d2", "unit_staff", "D2")
        reports.ensure_default_reasons(now=clock.now())
        db.session.commit()
        return build_november(world), dict(world.user_ids), dict(world.tokens)

    return build


@pytest.fixture
def app(make_app, database, request):
    """On 10 December; on a copy of the hand-built November when the test asks for it (built
    once per session into the "november" template)."""
    if "november" not in request.fixturenames:
        return make_app(CLOCK=lambda: REPORTS_NOW)
    database.ensure("world", _build_world)
    database.ensure("november", _build_november(database), base="world", CLOCK=lambda: REPORTS_NOW)
    return make_app("november", CLOCK=lambda: REPORTS_NOW)


@pytest.fixture
def november(app, world, database):
    """The hand-built November 2026 (see tests/reports/story.py); yields inside an app context."""
    numbers, user_ids, tokens = database.records["november"]
    world.user_ids.update(user_ids)
    world.tokens.update(tokens)
    with world.app.app_context():
        yield numbers
