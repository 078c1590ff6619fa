"""The weighted score (综合得分) and the ranking.

score = Σ weight × rate over the rates a unit has, rescaled to the weights of those
rates (so 100 is the top whatever is missing), minus the card penalties, floored at 0,
rounded to one decimal. A rate is None when nothing was due (no deadline settled, no
callback): it is left out and the other weights are scaled up, so a unit is neither
rewarded nor punished for what it had no chance to do. A unit with no rate at all has
no score and no rank. Ranks are competition ranks (1, 2, 2, 4), city departments
apart from districts and towns.

Schemes are versioned like deadline policies: an edit adds version + 1 (audited), and a
period is scored with the version in force at its end. Version 0 is the built-in default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..units.models import Level
from .models import ScoreScheme

# weight field → the rate it weighs
WEIGHTED_RATES = {
    "weight_on_time": "replied_on_time_rate",
    "weight_satisfaction": "satisfaction_rate",
    "weight_resolution": "resolution_rate",
    "weight_accepted": "accepted_on_time_rate",
}

RANK_GROUPS = {Level.CITY.value: "city", Level.DISTRICT.value: "local", Level.TOWN.value: "local"}
RANK_GROUP_LABELS = {"city": "市直部门", "local": "区（县）及镇街"}


@dataclass(frozen=True)
class Scheme:
    version: int
    name: str
    weight_on_time: float
    weight_satisfaction: float
    weight_resolution: float
    weight_accepted: float
    yellow_card_penalty: float
    red_card_penalty: float
    created_at: datetime | None = None
    id: int | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data

    @classmethod
    def of(cls, row: ScoreScheme) -> Scheme:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


DEFAULT_SCHEME = Scheme(
    version=0,
    name="默认考核方案",
    weight_on_time=30,
    weight_satisfaction=30,
    weight_resolution=30,
    weight_accepted=10,
    yellow_card_penalty=1,
    red_card_penalty=3,
)


def active_scheme(now: datetime) -> Scheme:
    """The scheme in force at ``now`` (for a period: pass its end, or now if earlier)."""
    row = db.session.scalar(
        select(ScoreScheme).where(ScoreScheme.created_at <= now).order_by(ScoreScheme.version.desc()).limit(1)
    )
    return Scheme.of(row) if row is not None else DEFAULT_SCHEME


def scheme_for_period(period, *, now: datetime) -> Scheme:
    return active_scheme(period.upto(now))


def score(row: dict, scheme: Scheme) -> float | None:
    """One unit's score out of 100 (see the module's docstring), or None."""
    weighted = total = 0.0
    for weight_name, rate_name in WEIGHTED_RATES.items():
        weight = getattr(scheme, weight_name) or 0
        value = row.get(rate_name)
        if value is None or weight <= 0:
            continue
        weighted += weight * value
        total += weight
    if total <= 0:
        return None
    base = 100.0 * weighted / total
    penalty = scheme.yellow_card_penalty * row.get("yellow_cards", 0) + scheme.red_card_penalty * row.get(
        "red_cards", 0
    )
    return round(max(0.0, base - penalty) + 1e-9, 1)


def rank_group(level: str) -> str:
    return RANK_GROUPS.get(level, "local")


def score_units(rows: list[dict], scheme: Scheme) -> list[dict]:
    """Add ``score`` and ``rank`` (and ``rank_group``) to each row, in place; returns the rows."""
    for row in rows:
        row["score"] = score(row, scheme)
        row["rank_group"] = rank_group(row["level"])
        row["rank"] = None
    for group in set(RANK_GROUPS.values()):
        ranked = sorted(
            (r for r in rows if r["rank_group"] == group and r["score"] is not None), key=lambda r: -r["score"]
        )
        previous, position = None, 0
        for index, row in enumerate(ranked, start=1):
            if row["score"] != previous:
                position, previous = index, row["score"]
            row["rank"] = position
    return rows


def ranking(rows: list[dict], group: str) -> list[dict]:
    """The scored rows of one rank group, best first; unranked (no score) last, by code."""
    members = [r for r in rows if r["rank_group"] == group]
    return sorted(members, key=lambda r: (r["rank"] is None, r["rank"] or 0, r["code"]))
