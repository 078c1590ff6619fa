"""The OpenAPI document is the contract (issue 19): schemathesis fuzzes every operation.

Every operation of ``/api/v1/openapi.json`` is called with requests generated from the
document, as an operator and as unit staff, against the app in-process (its WSGI app, on
the test database with the world and tickets in several states). Each answer is checked
by schemathesis' checks: no 5xx, the status and body the document gives, a request the
document allows is not refused with 400/422, one it forbids is refused, and an operation
that needs a token answers 401 without one.

Bounded: ``HOTLINE_CONTRACT_EXAMPLES`` examples per operation and role (default 2; the
coverage phase adds its own boundary cases). The number of requests made is printed at the
end of the run (``contract: ...``).
"""

from __future__ import annotations

import os
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hotline import create_app
from hotline.extensions import db

from ..conftest import _build_world, world_on

pytestmark = pytest.mark.any_database

EXAMPLES = int(os.environ.get("HOTLINE_CONTRACT_EXAMPLES", "2"))
ROLES = ("operator", "staff_a")


def _document() -> dict:
    """The document as the app serves it (no database is needed to build it)."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(
            {"HOTLINE_ENV": "testing", "SECRET_KEY": "contract", "DATABASE_URL": "sqlite://", "DATA_DIR": data_dir}
        )
        return app.test_client().get("/api/v1/openapi.json").json


schema = schemathesis.openapi.from_dict(_document())
schema.config.update(base_url="http://localhost")


@pytest.fixture(scope="module")
def live(database, tmp_path_factory):
    """One app per module and worker: the world, tickets in the states the actions need."""
    database.ensure("world", _build_world)
    data_dir = tmp_path_factory.mktemp("contract")
    app = create_app(database.config(database.fresh(data_dir, "world"), str(data_dir)))
    world = world_on(app, database)
    for state in ("new", "pending_dispatch", "dispatched", "accepted", "replied", "closed"):
        world.ticket(state, lead="DEPT-A")
    world.article("published")
    yield app, world
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Pydantic's own refusals: a request the document allows never gets one of these. What is
# left to the server are checks no schema can express (the unit exists, the number is a
# real phone number: 422 with code "invalid", or a validator's "value_error").
SHAPE_ERRORS = {
    "missing",
    "extra_forbidden",
    "string_type",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "int_type",
    "int_parsing",
    "bool_type",
    "bool_parsing",
    "float_type",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "literal_error",
    "enum",
    "list_type",
    "too_short",
    "too_long",
    "dict_type",
    "model_type",
    "date_from_datetime_parsing",
    "date_parsing",
    "datetime_parsing",
}


@schemathesis.check
def allowed_shape_is_accepted(ctx, response, case):
    """A request generated to fit the document is never refused for its shape: not a 400
    (malformed: empty body, not JSON, not an object) and not a 422 naming a schema rule."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    error = (response.json() or {}).get("error", {})
    shape = response.status_code == 400 or any(d.get("code") in SHAPE_ERRORS for d in error.get("details") or [])
    if shape:
        raise AssertionError(f"The document allows this request, the server refused its shape: {error}")
    return None


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), database=None, deadline=None, derandomize=True
)
def test_the_api_keeps_its_document(case, live, role, record_property):
    app, world = live
    case.operation.app = case.operation.schema.app = app  # its WSGI transport, for the checks' probes too
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[allowed_shape_is_accepted],
    )
    record_property("contract_request", 1)
