"""Reading the reports: the figures with their scores, the ranking, the drill-down page,
and the exemptions a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import false, func, select

from ..core.errors import NotFound
from ..extensions import db
from ..tickets.models import Ticket
from . import drill, figures, permissions, scores
from .models import Exemption, ExemptionReason, ScoreScheme
from .schemas import Filters


def figures_report(filters: Filters, *, now: datetime, with_total: bool = False) -> dict:
    """The rows of the filtered units with score and rank. Scores and ranks are always
    computed over the whole rank group (a unit's rank does not depend on the filter that
    shows it), then the rows are narrowed to what was asked and may be seen."""
    scheme = scores.scheme_for_period(filters.period, now=now)
    rows = figures.unit_figures(
        filters.period, now=now, category_id=filters.category_id, area_unit_id=filters.area_unit_id
    )
    scores.score_units(rows, scheme)
    if filters.unit is not None:
        rows = [r for r in rows if r["code"] == filters.unit.code]
        if not rows:  # an inactive unit: its own row
            rows = figures.unit_figures(
                filters.period,
                now=now,
                unit_code=filters.unit.code,
                category_id=filters.category_id,
                area_unit_id=filters.area_unit_id,
            )
            scores.score_units(rows, scheme)
            for row in rows:
                row["rank"] = None
    elif filters.level is not None:
        rows = [r for r in rows if r["level"] == filters.level]
    total = None
    if with_total and filters.unit is None:
        total = figures.total_figures(
            filters.period,
            now=now,
            level=filters.level,
            category_id=filters.category_id,
            area_unit_id=filters.area_unit_id,
        )
    return {"scheme": scheme, "units": rows, "total": total}


def ranking_report(filters: Filters, *, now: datetime) -> dict:
    report = figures_report(filters, now=now)
    groups = {group: scores.ranking(report["units"], group) for group in scores.RANK_GROUP_LABELS}
    return {"scheme": report["scheme"], "groups": groups}


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def drill_page(filters: Filters, figure: str, part: str, *, now: datetime, page: int, per_page: int) -> Page:
    stmt = drill.tickets_behind(
        figure,
        part,
        filters.period,
        now=now,
        unit_code=filters.unit.code if filters.unit is not None else None,
        level=filters.level,
        category_id=filters.category_id,
        area_unit_id=filters.area_unit_id,
    )
    total = drill.count(stmt)
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# --- exemptions -----------------------------------------------------------------------


def _visible(user):
    if permissions.can_view_all_figures(user):
        return []
    if permissions.is_unit_staff(user):
        return [Exemption.unit_id == user.unit_id]
    return [false()]


def list_exemptions(
    user, *, status: str | None = None, unit_id: int | None = None, ticket: str | None = None, page=1, per_page=50
) -> Page:
    where = _visible(user)
    if status:
        where.append(Exemption.status == status)
    if unit_id is not None:
        where.append(Exemption.unit_id == unit_id)
    if ticket:
        where.append(Exemption.ticket_id.in_(select(Ticket.id).where(Ticket.number == ticket)))
    total = db.session.scalar(select(func.count(Exemption.id)).where(*where))
    stmt = (
        select(Exemption)
        .where(*where)
        .order_by((Exemption.status == "pending").desc(), Exemption.requested_at.desc(), Exemption.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(db.session.scalars(stmt)), total, page, per_page)


def get_visible_exemption(user, exemption_id: int) -> Exemption:
    exemption = db.session.get(Exemption, exemption_id)
    if exemption is None or not permissions.can_view_exemption(user, exemption):
        raise NotFound(f"No exemption {exemption_id}.", message_zh="免责申请不存在。")
    return exemption


def exemptions_of_ticket(user, ticket) -> list[Exemption]:
    return list(
        db.session.scalars(
            select(Exemption).where(Exemption.ticket_id == ticket.id, *_visible(user)).order_by(Exemption.id)
        )
    )


def reasons(*, active_only: bool = False) -> list[ExemptionReason]:
    stmt = select(ExemptionReason).order_by(ExemptionReason.sort_order, ExemptionReason.id)
    if active_only:
        stmt = stmt.where(ExemptionReason.is_active.is_(True))
    return list(db.session.scalars(stmt))


def get_reason(code: str) -> ExemptionReason:
    reason = db.session.scalar(select(ExemptionReason).where(ExemptionReason.code == code))
    if reason is None:
        raise NotFound(f"No exemption reason {code!r}.", message_zh="免责理由不存在。")
    return reason


def scheme_versions() -> list[ScoreScheme]:
    return list(db.session.scalars(select(ScoreScheme).order_by(ScoreScheme.version.desc())))
