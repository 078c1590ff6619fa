"""The admin pages' start: what each section holds and what needs an admin now."""

from __future__ import annotations

from sqlalchemy import func, select

from ...accounts.models import User
from ...categories.models import Category
from ...citizens.open311.models import Open311Key
from ...extensions import db
from ...ops import queries as ops_queries
from ...sla.models import SlaPolicy
from ...units.models import Unit
from . import admin_required, bp, render


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@bp.get("", endpoint="index")
@admin_required
def index():
    figures = {
        "units": _count(Unit, Unit.is_active.is_(True)),
        "units_inactive": _count(Unit, Unit.is_active.is_(False)),
        "users": _count(User, User.is_active.is_(True)),
        "users_inactive": _count(User, User.is_active.is_(False)),
        "categories": _count(Category, Category.is_active.is_(True)),
        "policies": _count(SlaPolicy, SlaPolicy.is_active.is_(True)),
        "failed_jobs": len(ops_queries.failed_jobs(500)),
        "open311_keys": _count(Open311Key, Open311Key.revoked_at.is_(None)),
    }
    return render("admin/index.html", figures=figures)
