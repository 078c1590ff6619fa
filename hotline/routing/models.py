from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

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
