"""GeoReport v2 over the ticket: our categories as services (this module), tickets as
service requests (``intake``: POST requests; ``listing``: GET requests).

Every active category is a service (its parent's name is the group); a service's
definition has one optional attribute, the request type (诉求类型), since every ticket has
one. Errors are :class:`Open311Error`, answered in the specification's format.
"""

from __future__ import annotations

from sqlalchemy import select

from ...categories.models import Category
from ...core.vocabulary import REQUEST_TYPE_LABELS, RequestType
from ...extensions import db

MAX_REQUESTS = 1000  # GET requests answers at most this many, the newest first
MAX_RANGE_DAYS = 90
DEFAULT_REQUEST_TYPE = RequestType.HELP.value


class Open311Error(Exception):
    """An answer in the specification's error format: HTTP ``status`` and the errors."""

    def __init__(self, status: int, description: str, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.items = [(status, description)]
        self.headers = headers or {}


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


# -- jurisdiction ----------------------------------------------------------------------


def check_jurisdiction(given: str | None, ours: str) -> None:
    """We serve one jurisdiction: the parameter may be left out; another one is a 404."""
    if given and given != ours:
        raise Open311Error(
            404, f"jurisdiction_id provided was not found: {given[:100]!r} (this server serves {ours!r})."
        )


# -- services --------------------------------------------------------------------------


def _active_categories() -> list[Category]:
    rows = db.session.scalars(
        select(Category).where(Category.is_active.is_(True)).order_by(Category.sort_order, Category.code)
    )
    return list(rows)


def _service(category: Category, parents: dict[int, Category]) -> dict:
    parent = parents.get(category.parent_id) if category.parent_id else None
    names = [category.name] + ([parent.name] if parent else [])
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{parent.name} / {category.name}" if parent else category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(names),
        "group": parent.name if parent else category.name,
    }


def service_list() -> list[dict]:
    categories = _active_categories()
    by_id = {c.id: c for c in categories}
    return [_service(c, by_id) for c in categories]


def service_category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None or not category.is_active:
        raise Open311Error(404, f"service_code provided was not found: {code[:100]!r}.")
    return category


REQUEST_TYPE_ATTRIBUTE = "request_type"


def service_definition(code: str) -> dict:
    category = service_category(code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": REQUEST_TYPE_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "诉求类型，不填按“求助”受理",
                "order": 1,
                "description": "诉求类型（咨询、求助、投诉、举报、建议、表扬）",
                "values": [{"key": t.value, "name": label} for t, label in REQUEST_TYPE_LABELS.items()],
            }
        ],
    }
