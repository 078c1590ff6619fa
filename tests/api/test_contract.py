"""The OpenAPI document is the contract: schemathesis fuzzes every operation (exploration)."""

from __future__ import annotations

import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hotline import create_app
from hotline.extensions import db

from ..conftest import _build_world, world_on

pytestmark = pytest.mark.any_database


def _document() -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            {"HOTLINE_ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "DATA_DIR": data_dir}
        )
        return app.test_client().get("/api/v1/openapi.json").json


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module")
def live(database, tmp_path_factory):
    database.ensure("world", _build_world)
    tmp = tmp_path_factory.mktemp("contract")
    app = create_app(database.config(database.fresh(tmp, "world"), str(tmp)))
    world = world_on(app, database)
    world.ticket("dispatched")
    world.ticket("accepted")
    yield app, world
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@schema.parametrize()
@settings(max_examples=10, suppress_health_check=list(HealthCheck))
def test_as_operator(case, live):
    app, world = live
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {world.tokens['operator']}"})
