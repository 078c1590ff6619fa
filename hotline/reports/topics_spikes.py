"""Spikes (突发热点): the same issue from many callers in a few days in one area or category.

The rule, checked by a periodic job every 10 minutes (``detect_job``) and recorded in
``spikes`` so that the dashboard reads it cheaply:

* a term is *spiking* in a scope (an area, or a category) when, in the last
  :data:`WINDOW_HOURS` hours, at least :data:`MIN_CALLERS` distinct callers said it there,
  and that is at least :data:`RATIO` times the expected number, and that many would come
  by chance with a probability of at most :data:`SURPRISE` (Poisson). The expected number
  is the larger of: the distinct callers who said it there in the :data:`BASELINE_DAYS`
  days before the window, per window of that length (a steady trickle is its own baseline
  and never spikes); the share of the city's callers who said it in those days times the
  scope's callers in the window (a word common everywhere, 业主 or 道路, is no news where
  many call); and :data:`MIN_EXPECTED`;
* spiking terms of one scope whose tickets overlap (at least half of the smaller set) are
  one burst; its keywords are its terms, most callers first, the first one its anchor;
* a burst in a category whose tickets are mostly (half or more) in an area's burst of the
  same run is left to the area (more precise, and not reported twice);
* a burst updates the open spike of its scope that shares a keyword with it (or opens
  again one closed less than a window ago: the rule may stop holding for a run and hold
  again), else opens a new one (at most one open spike per scope and anchor: a unique
  index); an open spike that no burst matches any more is closed.

Callers are counted, not tickets: one person calling ten times is not a spike.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

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
SURPRISE = 1e-4  # at most this likely by chance (Poisson, at the expected rate)
MIN_EXPECTED = 0.5  # callers a window: the expected rate is never taken as lower
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


def poisson_tail(n: int, expected: float) -> float:
    """P(X >= n) for X ~ Poisson(expected): how surprising n callers are."""
    term, cdf = math.exp(-expected), 0.0
    for k in range(n):
        cdf += term
        term *= expected / (k + 1)
    return max(0.0, 1.0 - cdf)


def _surprising(callers: int, expected: float) -> bool:
    return callers >= RATIO * expected and poisson_tail(callers, expected) <= SURPRISE


def _candidates(column, start: datetime, now: datetime) -> list[tuple[int, str, int]]:
    """(scope id, term, distinct callers) said by at least MIN_CALLERS callers in the window."""
    callers = func.count(TicketTerm.caller_id.distinct())
    return [
        tuple(row)
        for row in db.session.execute(
            select(column, TicketTerm.term, callers)
            .where(TicketTerm.created_at >= start, TicketTerm.created_at <= now, column.is_not(None))
            .group_by(column, TicketTerm.term)
            .having(callers >= MIN_CALLERS)
        ).all()
    ]


def _city_share(terms: set[str], start: datetime) -> dict[str, float]:
    """Each term's share of all the city's terms in the baseline days (index-only counts)."""
    if not terms:
        return {}
    in_base = (TicketTerm.created_at >= start - timedelta(days=BASELINE_DAYS), TicketTerm.created_at < start)
    total = db.session.scalar(select(func.count()).where(*in_base)) or 0
    if not total:
        return {}
    rows = db.session.execute(
        select(TicketTerm.term, func.count()).where(*in_base, TicketTerm.term.in_(terms)).group_by(TicketTerm.term)
    ).all()
    return {term: n / total for term, n in rows}


def _spiking_terms(
    column, candidates: list, city_share: dict[str, float], start: datetime, now: datetime
) -> dict[int, dict[str, tuple[int, float]]]:
    """scope id → {term: (callers in the window, expected callers)} for spiking terms.

    Baselines count tickets (one row per ticket and term), a little above their callers:
    the expected number errs high, the rule on the side of silence."""
    if not candidates:
        return {}
    scale = WINDOW_HOURS / (BASELINE_DAYS * 24)
    # How often the whole city says each term: a word common everywhere (业主, 道路) is
    # expected often in any scope that is busy now, however rare it was there before (the
    # term's share of the city's terms times the scope's terms in the window).
    busy = dict(
        db.session.execute(
            select(column, func.count())
            .where(TicketTerm.created_at >= start, TicketTerm.created_at <= now, column.in_({c[0] for c in candidates}))
            .group_by(column)
        ).all()
    )
    city = {(sid, term): city_share.get(term, 0.0) * busy.get(sid, 0) for sid, term, _ in candidates}
    # The expected number is at least the city's: what fails against it fails (and the
    # scope's own baseline, the costly query, is read only for the rest).
    candidates = [c for c in candidates if _surprising(c[2], max(city[c[:2]], MIN_EXPECTED))]
    if not candidates:
        return {}
    local = {
        (sid, term): n * scale
        for sid, term, n in db.session.execute(
            select(column, TicketTerm.term, func.count())
            .where(
                TicketTerm.term.in_({c[1] for c in candidates}),
                TicketTerm.created_at >= start - timedelta(days=BASELINE_DAYS),
                TicketTerm.created_at < start,
                column.in_({c[0] for c in candidates}),
            )
            .group_by(column, TicketTerm.term)
        ).all()
    }
    result: dict[int, dict[str, tuple[int, float]]] = defaultdict(dict)
    for sid, term, n in candidates:
        expected = max(local.get((sid, term), 0.0), city[(sid, term)], MIN_EXPECTED)
        if _surprising(n, expected):
            result[sid][term] = (n, expected)
    return result


def _bursts(scope: str, candidates: list, city_share: dict, start: datetime, now: datetime) -> list[Burst]:
    column = _SCOPES[scope]
    found = []
    for sid, terms in sorted(_spiking_terms(column, candidates, city_share, start, now).items()):
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
    candidates = {scope: _candidates(column, start, now) for scope, column in _SCOPES.items()}
    city_share = _city_share({c[1] for found in candidates.values() for c in found}, start)
    area_bursts = _bursts("area", candidates["area"], city_share, start, now)
    in_areas = {tid for b in area_bursts for tid in b.tickets}
    bursts = list(area_bursts)
    for burst in _bursts("category", candidates["category"], city_share, start, now):
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


def _describe(burst: Burst) -> list[str]:
    """The burst's words: what most of its tickets say (its spiking terms may be only part
    of it: 购买 spikes where the tickets say 车位, 捆绑, 销售), spiking terms first on ties."""
    counts = db.session.execute(
        select(TicketTerm.term, func.count())
        .where(TicketTerm.ticket_id.in_(sorted(burst.tickets)[:1000]))
        .group_by(TicketTerm.term)
    ).all()
    spiking = set(burst.terms)
    ranked = sorted(counts, key=lambda tc: (-tc[1], tc[0] not in spiking, tc[0]))
    words = [term for term, n in ranked if n >= 2][:MAX_TERMS]
    return words + [t for t in burst.terms if t not in words][: max(0, MAX_TERMS - len(words))] or burst.terms


def _same_burst(burst: Burst, key: str, *, now: datetime) -> Spike | None:
    """An open spike of the scope sharing a keyword; else one closed within the window (the
    rule stopped holding for a run, then held again): the same burst, opened again."""
    recent = or_(Spike.closed_at.is_(None), Spike.closed_at >= now - timedelta(hours=WINDOW_HOURS))
    for candidate in db.session.scalars(
        select(Spike).where(Spike.scope_key == key, recent).order_by(Spike.closed_at.is_not(None), Spike.id.desc())
    ):
        if candidate.anchor in burst.terms or set(candidate.keywords) & set(burst.terms):
            return candidate
    return None


def _record(burst: Burst, *, now: datetime) -> Spike:
    key = f"{burst.scope}:{burst.scope_id}"
    spike = _same_burst(burst, key, now=now)
    times = [at for _, at in burst.tickets.values()]
    described = _describe(burst)
    values = {
        "label": "、".join(described[:3]),
        "keywords": described,
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
        if spike.closed_at is not None:
            values["closed_at"] = None
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
