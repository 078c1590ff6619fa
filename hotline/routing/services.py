"""Dispatch suggestions (派单建议): training from the centre's history, asking, and recording
what was suggested at each dispatch.

- :func:`retrain` reads the history (:func:`training_examples`), trains
  (:mod:`.learning`) and stores the model in the database (``SuggestionModel``), where every
  process on every host finds it; the periodic job and ``flask routing train`` call it.
- :func:`suggest` ranks categories and lead units for a ticket's words; each process keeps
  the newest model in memory and looks for a newer one at most every
  ``SUGGEST_REFRESH_SECONDS``.
- :func:`record_dispatch` (a periodic job, every minute: :func:`record_pending`) keeps what
  was suggested when a ticket was dispatched and whether the dispatcher followed it.

A centre with no history gets the catalogue alone: the category's default lead unit
(source ``catalogue``).
"""

from __future__ import annotations

import io
import pickle
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..categories.models import Category
from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db
from ..tickets.models import Channel, Reply, Ticket, TicketEvent
from ..tickets.states import Status
from ..units.models import Level, Unit
from . import catalogue, learning
from .models import DispatchSuggestion, SuggestionModel

KEEP_MODELS = 3  # the newest models kept; older rows are deleted after a training
MAX_SUGGESTIONS = 5
CHOSEN_CATEGORY_WEIGHT = 0.5  # the category the operator chose, against the words' own


@dataclass(frozen=True)
class Scored:
    code: str
    name: str
    score: float
    source: str | None = None


@dataclass(frozen=True)
class CatalogueAnswer:
    """The catalogue's answer for the likeliest (or the chosen) category."""

    lead_unit: str
    lead_unit_name: str
    assist_units: tuple[str, ...]
    basis: str | None  # None: the category's default lead unit, no rule
    rule_id: int | None


@dataclass(frozen=True)
class Suggestions:
    categories: list[Scored]
    units: list[Scored]
    model_id: int | None
    catalogue: CatalogueAnswer | None = None


# -- the history --------------------------------------------------------------------------


def _kept_filter():
    """Closed tickets whose lead unit kept them: it replied, or they came from the old system."""
    replied = exists().where(and_(Reply.ticket_id == Ticket.id, Reply.unit_id == Ticket.lead_unit_id))
    return and_(Ticket.status == Status.CLOSED.value, or_(Ticket.channel == Channel.IMPORT.value, replied))


def training_examples(limit: int) -> list[learning.Example]:
    """The newest ``limit`` closed tickets (with the unit that kept each, when one did) and the
    returns of the same period, as examples."""
    lead, area = aliased(Unit), aliased(Unit)
    kept_rows = db.session.execute(
        select(Ticket.content, Category.code, lead.code, area.code, _kept_filter())
        .join(Category, Category.id == Ticket.category_id)
        .outerjoin(lead, lead.id == Ticket.lead_unit_id)
        .outerjoin(area, area.id == Ticket.area_unit_id)
        .where(Ticket.status == Status.CLOSED.value)
        .order_by(Ticket.id.desc())
        .limit(limit)
    ).all()
    examples = [
        learning.Example(text=content, category=category, unit=unit if is_kept else None, area=area_code)
        for content, category, unit, area_code, is_kept in kept_rows
    ]
    returner = aliased(Unit)
    returned_rows = db.session.execute(
        select(Ticket.content, Category.code, returner.code, area.code)
        .select_from(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .join(returner, returner.id == TicketEvent.actor_unit_id)
        .outerjoin(area, area.id == Ticket.area_unit_id)
        .where(TicketEvent.action == "return")
        .order_by(TicketEvent.id.desc())
        .limit(limit)
    ).all()
    examples += [
        learning.Example(text=content, category=category, unit=unit, area=area_code, kept=False)
        for content, category, unit, area_code in returned_rows
    ]
    return examples


def history_mark() -> str:
    """Changes whenever the history the model learns from changes (a ticket closed or edited
    by a new import, a return)."""
    closed = db.session.execute(
        select(func.count(), func.max(Ticket.updated_at)).where(Ticket.status == Status.CLOSED.value)
    ).one()
    returns = db.session.execute(
        select(func.count(), func.max(TicketEvent.id)).where(TicketEvent.action == "return")
    ).one()
    newest = closed[1].isoformat() if closed[1] else "-"
    return f"{closed[0]}:{newest}:{returns[0]}:{returns[1] or 0}"[:64]


# -- training -----------------------------------------------------------------------------


def retrain(*, now: datetime, trained_by: str, force: bool = False) -> SuggestionModel | None:
    """Train on the history and store the model; None when there is nothing new since the
    newest model (unless ``force``) or no history at all. Flushes; the caller commits."""
    mark = history_mark()
    newest = _newest_row()
    if not force and newest is not None and newest.history_mark == mark:
        return None
    examples = training_examples(current_app.config.get("SUGGEST_MAX_EXAMPLES", 50_000))
    if not examples:
        return None
    trained = learning.train(examples)
    row = SuggestionModel(
        created_at=now,
        trained_by=trained_by[:64],
        method=trained.method[:200],
        examples=trained.examples,
        categories=len(trained.categories),
        units=len({u for units in trained.unit_counts.values() for u in units}),
        train_seconds=round(trained.train_seconds, 3),
        history_mark=mark,
        payload=_dump(trained),
    )
    db.session.add(row)
    db.session.flush()
    old = db.session.scalars(select(SuggestionModel.id).order_by(SuggestionModel.id.desc()).offset(KEEP_MODELS)).all()
    if old:
        db.session.execute(
            DispatchSuggestion.__table__.update().where(DispatchSuggestion.model_id.in_(old)).values(model_id=None)
        )
        db.session.execute(SuggestionModel.__table__.delete().where(SuggestionModel.id.in_(old)))
    return row


def _dump(trained: learning.Trained) -> bytes:
    return zlib.compress(pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL), 6)


def _load(payload: bytes) -> learning.Trained:
    # The payload comes from this database only (written by retrain above).
    return pickle.load(io.BytesIO(zlib.decompress(payload)))  # noqa: S301


def _newest_row() -> SuggestionModel | None:
    return db.session.scalars(select(SuggestionModel).order_by(SuggestionModel.id.desc()).limit(1)).first()


# -- the model in memory ------------------------------------------------------------------

_KEY = "hotline.routing"


class _Held:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model_id: int | None = None
        self.trained: learning.Trained | None = None
        self.directory: Directory | None = None
        self.checked_at = float("-inf")  # the directory's
        self.model_checked_at = float("-inf")


@dataclass(frozen=True)
class Directory:
    """Names and the catalogue, read with the model: a suggestion then asks the database
    nothing (the API answers in a few milliseconds; names are at most one refresh old)."""

    categories: dict[str, tuple[str, str | None]]  # active category code → (full name, default lead unit code)
    units: dict[str, str]  # active unit code → name
    parents: dict[str, str]  # active unit code → its parent's code (a town's district)
    rules: list  # the catalogue's active rules (catalogue.RuleView)

    @classmethod
    def read(cls) -> Directory:
        default = aliased(Unit)
        rows = db.session.execute(
            select(Category, default.code)
            .outerjoin(default, and_(default.id == Category.default_lead_unit_id, default.is_active.is_(True)))
            .where(Category.is_active.is_(True))
        ).all()
        units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True))).all()
        return cls(
            categories={c.code: (c.full_name, unit) for c, unit in rows},
            units={u.code: u.name for u in units},
            parents={u.code: u.parent.code for u in units if u.parent is not None},
            rules=catalogue.active_rules(),
        )


def current() -> tuple[int | None, learning.Trained | None, Directory]:
    """The newest stored model, loaded once per process (per app) and looked for again at
    most every ``SUGGEST_REFRESH_SECONDS``, with the names and the catalogue."""
    held = _refreshed(directory=True)
    return held.model_id, held.trained, held.directory


def current_model() -> learning.Trained | None:
    """The newest stored model as ``current()`` holds it, without the names and the
    catalogue (one statement when it is looked for again, none in between)."""
    return _refreshed(directory=False).trained


def _refreshed(*, directory: bool) -> _Held:
    app = current_app._get_current_object()
    held: _Held = app.extensions.setdefault(_KEY, _Held())
    refresh = float(app.config.get("SUGGEST_REFRESH_SECONDS", 60))

    def due(checked_at: float) -> bool:
        return time.monotonic() - checked_at >= refresh

    if not due(held.model_checked_at) and not (directory and (held.directory is None or due(held.checked_at))):
        return held
    with held.lock:
        if due(held.model_checked_at):
            newest_id = db.session.scalar(select(func.max(SuggestionModel.id)))
            if newest_id != held.model_id:
                payload = db.session.scalar(select(SuggestionModel.payload).where(SuggestionModel.id == newest_id))
                held.trained = _load(payload) if payload is not None else None
                held.model_id = newest_id if payload is not None else None
            held.model_checked_at = time.monotonic()
        if directory and (held.directory is None or due(held.checked_at)):
            held.directory = Directory.read()
            held.checked_at = time.monotonic()
    return held


# -- asking -------------------------------------------------------------------------------


def check_area(code: str | None) -> str | None:
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or unit.level not in (Level.DISTRICT, Level.TOWN):
        raise InvalidInput(
            f"Unknown area {code!r}: give the code of a district or town.",
            message_zh="所属区域不存在（应为区或镇街编码）。",
            field="area",
        )
    return code


def check_category(code: str | None) -> str | None:
    if not code:
        return None
    if db.session.scalar(select(Category.id).where(Category.code == code)) is None:
        raise InvalidInput(f"Unknown category {code!r}.", message_zh="诉求分类不存在。", field="category")
    return code


def suggest(
    content: str,
    *,
    area: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
    exclude_units: frozenset[str] = frozenset(),
) -> Suggestions:
    """Categories and lead units for a ticket's words (and area; ``category``: the one the
    operator chose, which then weighs half), best first, with the catalogue's answer (the
    category's default lead unit) among them."""
    model_id, trained, directory = current()
    content = content[: learning.MAX_TEXT]
    predicted = trained.category_scores(content) if trained is not None else []
    weights = dict(predicted)
    if category:
        weights = {c: p * (1 - CHOSEN_CATEGORY_WEIGHT) for c, p in weights.items()} if weights else {}
        weights[category] = weights.get(category, 0.0) + (CHOSEN_CATEGORY_WEIGHT if predicted else 1.0)
    ranked_categories = sorted(weights.items(), key=lambda cp: -cp[1])
    history = dict(trained.unit_scores(ranked_categories, area)) if trained is not None else {}
    answers = _catalogue(directory, ranked_categories[:3], area=area, text=content, now=now or clock.now())
    weights_of = {}
    for (_category, weight), found in answers:
        weights_of[found.lead_unit] = max(weights_of.get(found.lead_unit, 0.0), weight)
    units = [u for u in _named_units(directory, history, weights_of) if u.code not in exclude_units]
    categories = _named_categories(directory, predicted)
    return Suggestions(
        categories=categories[:MAX_SUGGESTIONS],
        units=units[:MAX_SUGGESTIONS],
        model_id=model_id,
        catalogue=answers[0][1] if answers else None,
    )


def _catalogue(
    directory: Directory, categories: list[tuple[str, float]], *, area: str | None, text: str, now: datetime
) -> list[tuple[tuple[str, float], CatalogueAnswer]]:
    """The catalogue's answer for each of the likeliest categories: its rule in force (area and
    keywords first), else the category's default lead unit."""
    areas = {a for a in (area, directory.parents.get(area or "")) if a}
    out = []
    for code, weight in categories:
        rule = catalogue.answer(directory.rules, category=code, areas=areas, text=text, now=now)
        if rule is not None and rule.lead_unit in directory.units:
            found = CatalogueAnswer(
                rule.lead_unit, directory.units[rule.lead_unit], rule.assist_units, rule.basis, rule.id
            )
        else:
            unit = directory.categories.get(code, (None, None))[1]
            if unit is None or unit not in directory.units:
                continue
            found = CatalogueAnswer(unit, directory.units[unit], (), None, None)
        out.append(((code, weight), found))
    return out


def _named_units(directory: Directory, history: dict[str, float], proposed: dict[str, float]) -> list[Scored]:
    out = []
    for code in (set(history) | set(proposed)) & set(directory.units):
        source = "history" if code not in proposed else ("catalogue" if code not in history else "history+catalogue")
        score = round(max(history.get(code, 0.0), proposed.get(code, 0.0)), 4)
        out.append(Scored(code, directory.units[code], score, source))
    return sorted(out, key=lambda s: (-s.score, s.code))


def _named_categories(directory: Directory, predicted: list[tuple[str, float]]) -> list[Scored]:
    return [Scored(c, directory.categories[c][0], round(p, 4)) for c, p in predicted if c in directory.categories]


# -- what was suggested at dispatch -------------------------------------------------------


def returned_by(ticket: Ticket, *, before_event: int | None = None) -> frozenset[str]:
    """The units that returned this ticket (退单): never suggested for it again (only the
    returns before ``before_event`` when given)."""
    query = (
        select(Unit.code)
        .join(TicketEvent, TicketEvent.actor_unit_id == Unit.id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.action == "return")
    )
    if before_event is not None:
        query = query.where(TicketEvent.id < before_event)
    return frozenset(db.session.scalars(query))


def for_ticket(ticket: Ticket, *, before_event: int | None = None) -> Suggestions:
    """The suggestions for a recorded ticket (its page, its dispatch): its words, area and
    category, without the units that returned it."""
    return suggest(
        ticket.content,
        area=ticket.area_unit.code if ticket.area_unit is not None else None,
        category=ticket.category.code if ticket.category is not None else None,
        exclude_units=returned_by(ticket, before_event=before_event),
    )


# The periodic job that records the dispatches since its last run (hotline.routing.jobs).
RECORD_JOB = "hotline.routing.jobs.record_dispatches"
RECORD_EVERY = 60  # seconds
RECORD_BATCH = 500  # dispatches a run records at most (a busy hour's catch-up takes a few runs)
# How far below the newest recorded dispatch a run looks again: a dispatch committed after a
# later one (its event's id taken first) is still found. A transaction holds a dispatch for
# milliseconds; this many events is minutes of the busiest centre's work.
RECORD_SLACK = 5000


def record_dispatch(ticket: Ticket, event: TicketEvent, *, now: datetime) -> DispatchSuggestion | None:
    """Keep what the suggestions said for this dispatch and whether the lead unit chosen was
    the first of them, asked as at the dispatch (the catalogue in force then; the model of
    the minute after, which changes hourly): by a periodic job (:func:`record_pending`), so
    that a dispatch pays nothing for it."""
    if db.session.scalar(select(DispatchSuggestion.id).where(DispatchSuggestion.event_id == event.id)):
        return None  # the job delivered twice
    found = for_ticket(ticket, before_event=event.id)
    codes = [s.code for s in found.units]
    chosen = (event.data or {}).get("lead_unit")  # the lead unit of this dispatch, whatever came after
    lead_unit_id = db.session.scalar(select(Unit.id).where(Unit.code == chosen)) if chosen else None
    rank = codes.index(chosen) + 1 if chosen in codes else None
    row = DispatchSuggestion(
        ticket_id=ticket.id,
        event_id=event.id,
        model_id=found.model_id,
        lead_unit_id=lead_unit_id,
        suggested=[{"code": s.code, "score": s.score, "source": s.source} for s in found.units],
        rank=rank,
        is_followed=rank == 1,
        at=now,
    )
    db.session.add(row)
    return row


def pending_dispatches(limit: int = RECORD_BATCH) -> list[int]:
    """The dispatch events with no record yet, oldest first: those after the newest recorded
    one, less ``RECORD_SLACK`` (with nothing recorded, the last ``RECORD_SLACK`` events: an
    imported history is not asked again). Both ends are read by index."""
    recorded = db.session.scalar(select(func.max(DispatchSuggestion.event_id)))
    since = (recorded or db.session.scalar(select(func.max(TicketEvent.id))) or 0) - RECORD_SLACK
    missing = ~exists().where(DispatchSuggestion.event_id == TicketEvent.id)
    query = (
        select(TicketEvent.id)
        .where(TicketEvent.id > since, TicketEvent.action == "dispatch", missing)
        .order_by(TicketEvent.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def record_pending(limit: int = RECORD_BATCH) -> int:
    """Record the dispatches not recorded yet (:func:`pending_dispatches`), each in its own
    transaction; returns how many."""
    done = 0
    for event_id in pending_dispatches(limit):
        event = db.session.get(TicketEvent, event_id)
        record_dispatch(db.session.get(Ticket, event.ticket_id), event, now=event.at)
        try:
            db.session.commit()
        except IntegrityError:  # another run recorded it first (the event id is unique)
            db.session.rollback()
            continue
        done += 1
    return done
