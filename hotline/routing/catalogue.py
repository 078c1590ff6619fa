"""The dispatch catalogue (派单目录): rules as data, each change a new version.

A rule says: tickets of a category (in an area, mentioning one of some keywords, when those
are given) go to a lead unit with assisting units, on a stated basis (the duty it comes
from), from one date to another. Dispatch proposes the catalogue's answer first
(:func:`answer`); the category's default lead unit is the answer where no rule applies.

Services take the actor and ``now``, audit, append the version and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from ..audit.services import record
from ..categories.models import Category
from ..core import clock
from ..core.errors import InvalidInput, NotFound
from ..extensions import db
from ..units.models import Level, Unit
from .models import CatalogueRule, CatalogueRuleVersion

FIELDS = (
    "category",
    "area",
    "keywords",
    "lead_unit",
    "assist_units",
    "basis",
    "effective_from",
    "effective_to",
    "is_active",
)


def values_of(rule: CatalogueRule) -> dict:
    """The rule's fields as plain data (codes for the category and units, ISO dates)."""
    return {
        "category": rule.category.code,
        "area": rule.area_unit.code if rule.area_unit is not None else None,
        "keywords": rule.keywords,
        "lead_unit": rule.lead_unit.code,
        "assist_units": list(rule.assist_units or []),
        "basis": rule.basis,
        "effective_from": rule.effective_from.isoformat(),
        "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
        "is_active": rule.is_active,
    }


def _unit(code: str, field: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or not unit.is_active:
        raise InvalidInput(f"Unknown unit {code!r}.", message_zh="单位不存在或已停用。", field=field)
    return unit


def _apply(rule: CatalogueRule, values: dict) -> None:
    """Set ``values`` (by code) on ``rule``, checking each."""
    if "category" in values:
        category = db.session.scalar(select(Category).where(Category.code == values["category"]))
        if category is None or not category.is_active:
            raise InvalidInput("Unknown category.", message_zh="诉求分类不存在或已停用。", field="category")
        rule.category = category
    if "area" in values:
        area = _unit(values["area"], "area") if values["area"] else None
        if area is not None and area.level not in (Level.DISTRICT, Level.TOWN):
            raise InvalidInput("The area is a district or town.", message_zh="区域应为区或镇街。", field="area")
        rule.area_unit = area
    if "lead_unit" in values:
        rule.lead_unit = _unit(values["lead_unit"], "lead_unit")
    if "assist_units" in values:
        codes = list(values["assist_units"] or [])
        for code in codes:
            _unit(code, "assist_units")
        if len(set(codes)) != len(codes):
            raise InvalidInput("A unit is listed twice.", message_zh="协办单位重复。", field="assist_units")
        rule.assist_units = codes
    for name in ("keywords", "basis", "effective_from", "effective_to", "is_active"):
        if name in values:
            setattr(rule, name, values[name])
    if rule.lead_unit is not None and rule.lead_unit.code in (rule.assist_units or []):
        raise InvalidInput(
            "The lead unit cannot also assist.", message_zh="主办单位不能同时是协办单位。", field="assist_units"
        )
    if rule.effective_to is not None and rule.effective_from and rule.effective_to < rule.effective_from:
        raise InvalidInput(
            "effective_to is before effective_from.", message_zh="失效日期不能早于生效日期。", field="effective_to"
        )


def _version(rule: CatalogueRule, *, actor, now: datetime, changed: list[str]) -> CatalogueRuleVersion:
    row = CatalogueRuleVersion(
        rule_id=rule.id,
        version=rule.version,
        values=values_of(rule),
        changed_fields=changed,
        changed_by_id=getattr(actor, "id", None),
        changed_at=now,
    )
    db.session.add(row)
    return row


def create_rule(*, actor, now: datetime, values: dict) -> CatalogueRule:
    rule = CatalogueRule(version=1, created_at=now, updated_at=now, is_active=True, assist_units=[])
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    _version(rule, actor=actor, now=now, changed=[k for k in FIELDS if k in values])
    record(
        actor=actor,
        action="catalogue_rule.create",
        object_type="catalogue_rule",
        object_id=rule.id,
        now=now,
        data=values_of(rule),
    )
    db.session.flush()
    return rule


def update_rule(rule: CatalogueRule, *, actor, now: datetime, values: dict) -> list[str]:
    """Change the rule; a new version when anything changed. Returns the fields changed."""
    before = values_of(rule)
    _apply(rule, values)
    after = values_of(rule)
    changed = [k for k in FIELDS if before[k] != after[k]]
    if not changed:
        return []
    rule.updated_at = now
    db.session.flush()  # the version column moves on (a concurrent change: StaleDataError → 409)
    _version(rule, actor=actor, now=now, changed=changed)
    record(
        actor=actor,
        action="catalogue_rule.update",
        object_type="catalogue_rule",
        object_id=rule.id,
        now=now,
        data={"changed": {k: [before[k], after[k]] for k in changed}},
    )
    db.session.flush()
    return changed


def get(rule_id: int) -> CatalogueRule:
    rule = db.session.get(CatalogueRule, rule_id)
    if rule is None:
        raise NotFound("No such catalogue rule.", message_zh="派单目录条目不存在。")
    return rule


def versions(rule: CatalogueRule) -> list[CatalogueRuleVersion]:
    return list(
        db.session.scalars(
            select(CatalogueRuleVersion)
            .where(CatalogueRuleVersion.rule_id == rule.id)
            .order_by(CatalogueRuleVersion.version.desc())
        )
    )


def list_rules() -> list[CatalogueRule]:
    return list(db.session.scalars(select(CatalogueRule).order_by(CatalogueRule.category_id, CatalogueRule.id)))


# -- the catalogue's answer ---------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    """What asking needs of a rule (kept in memory with the suggestion model)."""

    id: int
    category: str
    area: str | None
    keywords: tuple[str, ...]
    lead_unit: str
    assist_units: tuple[str, ...]
    basis: str
    effective_from: date
    effective_to: date | None

    def applies(self, *, category: str, areas: set[str], text: str, day: date) -> bool:
        if self.category != category or day < self.effective_from:
            return False
        if self.effective_to is not None and day > self.effective_to:
            return False
        if self.area is not None and self.area not in areas:
            return False
        return not self.keywords or any(k in text for k in self.keywords)

    def specificity(self) -> tuple[int, int, int]:
        return (self.area is not None, bool(self.keywords), self.id)


def active_rules() -> list[RuleView]:
    """Every active rule, whatever its dates (the day is checked when asking)."""
    return [
        RuleView(
            id=r.id,
            category=r.category.code,
            area=r.area_unit.code if r.area_unit is not None else None,
            keywords=tuple(r.keyword_list()),
            lead_unit=r.lead_unit.code,
            assist_units=tuple(r.assist_units or ()),
            basis=r.basis,
            effective_from=r.effective_from,
            effective_to=r.effective_to,
        )
        for r in db.session.scalars(select(CatalogueRule).where(CatalogueRule.is_active.is_(True)))
    ]


def answer(rules: list[RuleView], *, category: str, areas: set[str], text: str, now: datetime) -> RuleView | None:
    """The most specific rule in force today for this category (area and keywords first)."""
    day = clock.local(now).date()
    found = [r for r in rules if r.applies(category=category, areas=areas, text=text, day=day)]
    return max(found, key=RuleView.specificity) if found else None
