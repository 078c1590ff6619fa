"""What a figure is computed over: the period (as known at ``now``) and the filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..categories.models import Category
from ..extensions import db
from ..units.models import Unit
from .periods import Period


@dataclass(frozen=True)
class Scope:
    start: datetime
    upto: datetime  # the period's end, or now if it is not over
    category_ids: tuple[int, ...] | None = None  # the category and its subcategories
    area_ids: tuple[int, ...] | None = None  # the area and the units under it


def _with_descendants(model, root_id: int) -> tuple[int, ...]:
    """``root_id`` and every row under it (categories and units are small tables)."""
    found = [root_id]
    frontier = [root_id]
    while frontier:
        frontier = list(db.session.scalars(select(model.id).where(model.parent_id.in_(frontier))))
        frontier = [i for i in frontier if i not in found]
        found.extend(frontier)
    return tuple(sorted(found))


def make_scope(
    period: Period, *, now: datetime, category_id: int | None = None, area_unit_id: int | None = None
) -> Scope:
    return Scope(
        start=period.start,
        upto=period.upto(now),
        category_ids=_with_descendants(Category, category_id) if category_id is not None else None,
        area_ids=_with_descendants(Unit, area_unit_id) if area_unit_id is not None else None,
    )
