from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime
from ..extensions import db
from ..tickets.models import JSONType


class SuggestionModel(db.Model):
    """One trained dispatch-suggestion model, pickled (``learning.Trained``). Kept in the
    database so that every web process and worker on every host loads the same one; the
    newest row is the one in use, the few before it are kept to compare."""

    __tablename__ = "suggestion_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    trained_by: Mapped[str] = mapped_column(String(64))  # "job", "command", a username
    method: Mapped[str] = mapped_column(String(200))
    examples: Mapped[int] = mapped_column(Integer)
    categories: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    train_seconds: Mapped[float] = mapped_column(Float)
    # The newest ticket event the history was read up to: the job skips training when
    # nothing new has been closed or returned since.
    history_mark: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class DispatchSuggestion(db.Model):
    """What the suggestions said when a ticket was dispatched, and whether the dispatcher
    followed them: the first-dispatch accuracy of the suggestions, measured in use."""

    __tablename__ = "dispatch_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id"), unique=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion_models.id", ondelete="SET NULL"))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    suggested: Mapped[list] = mapped_column(JSONType)  # [{"code", "score", "source"}], best first
    rank: Mapped[int | None] = mapped_column(Integer)  # of the chosen lead unit; None: not suggested
    is_followed: Mapped[bool] = mapped_column(Boolean)  # the lead unit is the first suggestion
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CatalogueRule(db.Model):
    """One rule of the dispatch catalogue (派单目录): tickets of a category (in an area, with
    one of some keywords, when given) go to a lead unit, with assisting units, on the basis of
    a unit's legal duties (三定方案, 权责清单), between two dates. Every change is a new
    version (``CatalogueRuleVersion``); the rule row is the newest."""

    __tablename__ = "catalogue_rules"
    __table_args__ = (
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates_in_order"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    area_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    keywords: Mapped[str | None] = mapped_column(String(200))  # words separated by spaces or commas
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assist_units: Mapped[list] = mapped_column(JSONType, default=list)  # unit codes
    basis: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    category = relationship("Category", lazy="joined")
    area_unit = relationship("Unit", foreign_keys=[area_unit_id], lazy="joined")
    lead_unit = relationship("Unit", foreign_keys=[lead_unit_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def keyword_list(self) -> list[str]:
        return [w for w in re.split(r"[\s,，、;；]+", self.keywords or "") if w]

    def in_force(self, day: date) -> bool:
        return self.is_active and self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class CatalogueRuleVersion(db.Model):
    """A rule as it was after one change: who made it and when; any past version can be shown."""

    __tablename__ = "catalogue_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version", name="uq_catalogue_rule_versions_rule_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("catalogue_rules.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict] = mapped_column(JSONType)  # the rule's fields, units and category by code
    changed_fields: Mapped[list] = mapped_column(JSONType, default=list)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    changed_by = relationship("User", lazy="joined")


class ReplyCheckSetting(db.Model):
    """What a failed reply check does for one request type (诉求类型): ``warn`` (the unit's
    staff see the problems and may save anyway, confirming) or ``block`` (nothing is saved
    until the reply passes). A request type without a row warns. Chosen by supervisors."""

    __tablename__ = "reply_check_settings"
    __table_args__ = (CheckConstraint("mode IN ('warn', 'block')", name="mode"),)

    request_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
