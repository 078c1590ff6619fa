"""The tickets behind a figure (numerator or denominator), read from the same source as
the figure itself (:mod:`hotline.reports.figures`), so a list has exactly as many rows as
the figure counts. A figure counted per deadline (e.g. a reopened ticket's two reply
deadlines) lists the ticket once per deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, false, func, select

from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db
from ..tickets.models import Ticket
from ..units.models import Level, Unit
from . import figures
from .periods import Period
from .scope import make_scope

PARTS = ("numerator", "denominator")


def resolve(figure: str, part: str = "numerator") -> tuple[str, figures.Figure, bool]:
    """(count key, its figure, whether it is the centre's) for a figure or rate name."""
    if part not in PARTS:
        raise InvalidInput(
            f"part must be numerator or denominator, got {part!r}.", message_zh="参数有误：分子或分母。", field="part"
        )
    for rates, counts, centre in (
        (figures.UNIT_RATES, figures.UNIT_FIGURES, False),
        (figures.CENTRE_RATES, figures.CENTRE_FIGURES, True),
    ):
        key = figures.ALIASES.get(figure, figure)
        if figure in rates:
            key = rates[figure][PARTS.index(part)]
        if key in counts:
            return key, counts[key], centre
    if figure == "centre_received" or figure == "received_centre":
        return "centre_received", figures.CENTRE_FIGURES["centre_received"], True
    raise InvalidInput(f"Unknown figure {figure!r}.", message_zh="统计指标不存在。", field="figure")


def is_centre_figure(figure: str) -> bool:
    return resolve(figure)[2]


def tickets_behind(
    figure: str,
    part: str,
    period: Period,
    *,
    now: datetime | None = None,
    unit_code: str | None = None,
    level: str | None = None,
    category_id: int | None = None,
    area_unit_id: int | None = None,
) -> Select:
    """A SELECT of the tickets behind ``figure`` (its ``part`` for a rate), ordered by ticket id."""
    now = now or clock.now()
    key, spec, centre = resolve(figure, part)
    scope = make_scope(period, now=now, category_id=category_id, area_unit_id=area_unit_id)
    sub = spec.source(scope).subquery()
    where = [sub.c[key] == 1]
    if not centre and unit_code is not None:
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
        where.append(sub.c.unit_id == unit_id if unit_id is not None else false())
    elif not centre and level is not None:
        ids = select(Unit.id).where(Unit.level == Level(level).value, Unit.is_active.is_(True))
        where.append(sub.c.unit_id.in_(ids))
    if spec.distinct or centre:
        return select(Ticket).where(Ticket.id.in_(select(sub.c.ticket_id).where(*where))).order_by(Ticket.id)
    return select(Ticket).join(sub, sub.c.ticket_id == Ticket.id).where(*where).order_by(Ticket.id)


def count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
