"""Spikes (突发热点): the same issue from many callers in a few days in one area or category.

The rule, checked by a periodic job every 10 minutes (``detect_job``) and recorded in
``spikes`` so that the dashboard reads it cheaply:

* a term is *spiking* in a scope (an area, or a category) when, in the last
  :data:`WINDOW_HOURS` hours, at least :data:`MIN_CALLERS` distinct callers said it there,
  and that is at least :data:`RATIO` times its baseline: the distinct callers who said it
  there in the :data:`BASELINE_DAYS` days before the window, per window of that length
  (a steady trickle is its own baseline and never spikes);
* spiking terms of one scope whose tickets overlap (at least half of the smaller set) are
  one burst; its keywords are its terms, most callers first, the first one its anchor;
* a burst in a category whose tickets are mostly (half or more) in an area's burst of the
  same run is left to the area (more precise, and not reported twice);
* a burst updates the open spike of its scope that shares a keyword with it, else opens a
  new one (at most one open spike per scope and anchor: a unique index); an open spike that
  no burst matches any more is closed.

Callers are counted, not tickets: one person calling ten times is not a spike.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..core import clock
from ..core.db import upsert_insert
from ..extensions import db
from . import topics_terms
from .topics_models import Spike, SpikeTicket, TicketTerm

log = logging.getLogger(__name__)

WINDOW_HOURS = 72
BASELINE_DAYS = 28
MIN_CALLERS = 5
RATIO = 4.0
OVERLAP = 0.5
MAX_TERMS = 6

_SCOPES = {"area": TicketTerm.area_unit_id, "category": TicketTerm.category_id}


@dataclass
class Burst:
    scope: str
    scope_id: int
    terms: list[str]  # most callers first
    baseline: float
    tickets: dict[int, tuple[int, datetime]] = field(default_factory=dict)  # id → (caller, created_at)

    @property
    def callers(self) -> int:
        return len({caller for caller, _ in self.tickets.values()})


def _spiking_terms(column, start: datetime, now: datetime) -> dict[int, dict[str, tuple[int, float]]]:
    """scope id → {term: (callers in the window, baseline per window)} for spiking terms."""
    callers = func.count(TicketTerm.caller_id.distinct())
    candidates = db.session.execute(
        select(column, TicketTerm.term, callers)
        .where(TicketTerm.created_at >= start, TicketTerm.created_at <= now, column.is_not(None))
        .group_by(column, TicketTerm.term)
        .having(callers >= MIN_CALLERS)
    ).all()
    if not candidates:
        return {}
    base_start = start - timedelta(days=BASELINE_DAYS)
    scale = WINDOW_HOURS / (BASELINE_DAYS * 24)
    base = {
        (sid, term): n * scale
        for sid, term, n in db.session.execute(
            select(column, TicketTerm.term, callers)
            .where(
                TicketTerm.created_at >= base_start,
                TicketTerm.created_at < start,
                column.in_({c[0] for c in candidates}),
                TicketTerm.term.in_({c[1] for c in candidates}),
            )
            .group_by(column, TicketTerm.term)
        ).all()
    }
    result: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
    for sid, term, n in candidates:
        baseline = base.get((sid, term), 0.0)
        if n >= RATIO * baseline:
            result[sid][term] = (n, baseline)
    return result


def _bursts(scope: str, start: datetime, now: datetime) -> list[Burst]:
    column = _SCOPES[scope]
    found = []
    for sid, terms in sorted(_spiking_terms(column, start, now).items()):
        rows = db.session.execute(
            select(TicketTerm.term, TicketTerm.ticket_id, TicketTerm.caller_id, TicketTerm.created_at).where(
                TicketTerm.created_at >= start,
                TicketTerm.created_at <= now,
                column == sid,
                TicketTerm.term.in_(terms),
            )
        ).all()
        tickets_of: dict[str, dict[int, tuple[int, datetime]]] = defaultdict(dict)
        for term, tid, caller, at in rows:
            tickets_of[term][tid] = (caller, at)
        order = sorted(terms, key=lambda t: (-terms[t][0], t))
        groups: list[list[str]] = []
        for term in order:
            for group in groups:
                mine, theirs = set(tickets_of[term]), set(tickets_of[group[0]])
                if len(mine & theirs) >= OVERLAP * min(len(mine), len(theirs)):
                    group.append(term)
                    break
            else:
                groups.append([term])
        for group in groups:
            burst = Burst(scope, sid, group[:MAX_TERMS], baseline=terms[group[0]][1])
            for term in group:
                burst.tickets.update(tickets_of[term])
            found.append(burst)
    return found


def detect(*, now: datetime) -> list[Spike]:
    """One run of the rule: open, update and close spikes. Flushes, never commits."""
    start = now - timedelta(hours=WINDOW_HOURS)
    topics_terms.backfill(now=now, since=start, limit=20000)  # the window's tickets, if a job was lost
    area_bursts = _bursts("area", start, now)
    in_areas = {tid for b in area_bursts for tid in b.tickets}
    bursts = list(area_bursts)
    for burst in _bursts("category", start, now):
        if len(in_areas & set(burst.tickets)) < OVERLAP * len(burst.tickets):
            bursts.append(burst)
    kept = [_record(burst, now=now) for burst in bursts]
    keep_ids = {s.id for s in kept}
    for spike in list(db.session.scalars(select(Spike).where(Spike.closed_at.is_(None)))):
        if spike.id not in keep_ids:
            spike.closed_at = now
            spike.updated_at = now
    db.session.flush()
    return kept


def _record(burst: Burst, *, now: datetime) -> Spike:
    key = f"{burst.scope}:{burst.scope_id}"
    spike = None
    for candidate in db.session.scalars(
        select(Spike).where(Spike.scope_key == key, Spike.closed_at.is_(None)).order_by(Spike.id)
    ):
        if candidate.anchor in burst.terms or set(candidate.keywords) & set(burst.terms):
            spike = candidate
            break
    times = [at for _, at in burst.tickets.values()]
    values = {
        "label": "、".join(burst.terms[:3]),
        "keywords": burst.terms,
        "callers": burst.callers,
        "ticket_count": len(burst.tickets),
        "baseline": round(burst.baseline, 2),
        "last_at": max(times),
        "updated_at": now,
    }
    if spike is None:
        spike_id = db.session.scalar(
            upsert_insert(Spike)
            .values(
                scope=burst.scope,
                scope_key=key,
                area_unit_id=burst.scope_id if burst.scope == "area" else None,
                category_id=burst.scope_id if burst.scope == "category" else None,
                anchor=burst.terms[0],
                first_at=min(times),
                detected_at=now,
                **values,
            )
            .on_conflict_do_nothing(index_elements=["scope_key", "anchor"], index_where=Spike.closed_at.is_(None))
            .returning(Spike.id)
        )
        if spike_id is None:  # another run opened it meanwhile: update that one
            spike_id = db.session.scalar(
                select(Spike.id).where(
                    Spike.scope_key == key, Spike.anchor == burst.terms[0], Spike.closed_at.is_(None)
                )
            )
        else:
            log.info("spike opened: %s %s (%s callers)", key, values["label"], values["callers"])
    else:
        spike_id = spike.id
    db.session.execute(
        update(Spike).where(Spike.id == spike_id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.execute(
        upsert_insert(SpikeTicket)
        .values([{"spike_id": spike_id, "ticket_id": tid} for tid in sorted(burst.tickets)])
        .on_conflict_do_nothing(index_elements=["spike_id", "ticket_id"])
    )
    db.session.flush()
    spike = db.session.get(Spike, spike_id)
    db.session.refresh(spike)
    return spike


def detect_job() -> int:
    """The periodic job (every 10 minutes): returns the number of open spikes."""
    return len(detect(now=clock.now()))
