"""Hot topics (热点诉求): what citizens called about most in a period, and the current spikes.

Definition (printed with the figures): a ticket counts in the period in which it was
recorded (``created_at``, in the centre's time zone for a month). Its text is reduced once,
after intake, to at most a dozen terms (``topics_lexicon``, stored in ``ticket_terms``).
For a period, the database counts the tickets of each term (one GROUP BY) and keeps the
:data:`CANDIDATES` most frequent terms said by at least :data:`MIN_SUPPORT` tickets; only
those terms' rows come to Python, where ``topics_cluster`` groups terms that are said
together and gives each ticket to one topic at most. A topic's ``count`` is its tickets,
``callers`` its distinct callers; ``change`` is ``count`` minus the number of the previous
period's tickets (the period of the same length just before) that the same rule gives to the
same topic. ``areas`` and ``categories`` count its tickets by area and by category.

Spikes (``topics_spikes``) are recorded by a periodic job; :func:`current_spikes` reads the
open ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..categories.models import Category
from ..extensions import db
from ..tickets.models import Ticket
from ..units.models import Unit
from . import topics_cluster
from .topics_models import Spike, SpikeTicket, TicketTerm

CANDIDATES = 150
MIN_SUPPORT = 3
MIN_TOPIC = 2
MAX_TICKETS = 50


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC (the same shape as ``hotline.reports.periods.Period``)."""

    start: datetime
    end: datetime
    label: str = ""
    tz_name: str = "Asia/Shanghai"

    def previous(self) -> Period:
        """The calendar month before a month; otherwise the same length just before."""
        if len(self.label) == 7 and self.label[4] == "-":
            year, month = int(self.label[:4]), int(self.label[5:])
            return month_period(f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}", self.tz_name)
        return Period(self.start - (self.end - self.start), self.start, "", self.tz_name)


def month_period(month: str, tz_name: str) -> Period:
    """``YYYY-MM`` as a period in the centre's time zone; ValueError when malformed."""
    first = datetime.strptime(month, "%Y-%m").date()
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    zone = ZoneInfo(tz_name)

    def start_of(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)

    return Period(start_of(first), start_of(after), month, tz_name)


def _filters(start: datetime, end: datetime, category_id: int | None, area_unit_id: int | None) -> list:
    clauses = [TicketTerm.created_at >= start, TicketTerm.created_at < end]
    if category_id is not None:
        clauses.append(TicketTerm.category_id == category_id)
    if area_unit_id is not None:
        clauses.append(TicketTerm.area_unit_id == area_unit_id)
    return clauses


def candidate_terms(clauses: list, *, limit: int = CANDIDATES) -> list[str]:
    """The period's most frequent terms (one GROUP BY in the database)."""
    tickets = func.count()  # one row per ticket and term: rows are tickets (an index-only scan)
    stmt = (
        select(TicketTerm.term)
        .where(*clauses)
        .group_by(TicketTerm.term)
        .having(tickets >= MIN_SUPPORT)
        .order_by(tickets.desc(), TicketTerm.term)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _load(clauses: list, terms: list[str]) -> tuple[dict[int, dict[str, float]], dict[int, tuple]]:
    """These terms' rows: docs (ticket → {term: weight}) and each ticket's (area, category, caller)."""
    docs: dict[int, dict[str, float]] = defaultdict(dict)
    meta: dict[int, tuple] = {}
    if not terms:
        return docs, meta
    rows = db.session.execute(
        select(
            TicketTerm.ticket_id,
            TicketTerm.term,
            TicketTerm.weight,
            TicketTerm.area_unit_id,
            TicketTerm.category_id,
            TicketTerm.caller_id,
        ).where(*clauses, TicketTerm.term.in_(terms))
    )
    for tid, term, weight, area, category, caller in rows:
        docs[tid][term] = weight
        meta[tid] = (area, category, caller)
    return docs, meta


def hot_topics(
    period,
    *,
    now: datetime,
    limit: int = 10,
    category_id: int | None = None,
    area_unit_id: int | None = None,
    previous=None,
    max_tickets: int = MAX_TICKETS,
) -> list[dict]:
    """The period's top topics, biggest first: label, keywords, count, callers, previous,
    change, areas, categories, tickets (numbers, newest first, at most ``max_tickets``).

    ``previous`` is the period compared with (default: the same length just before; the
    calendar month before for a month). A period not over yet counts up to ``now``.

    A closed period's topics come from its snapshot (``topics_snapshots``, written by the
    hourly job) when the snapshot was computed from the same terms; otherwise, and for a
    period still running, they are computed now. Both give the same result.
    """
    from . import topics_snapshots

    before = previous or period.previous()
    args = (period, before, category_id, area_unit_id, max_tickets)
    if period.end <= now:
        stored = topics_snapshots.lookup(*args, limit=limit)
        if stored is not None:
            return stored
    return compute(period, now=now, limit=limit, category_id=category_id, area_unit_id=area_unit_id,
                   previous=before, max_tickets=max_tickets)  # fmt: skip


def compute(
    period,
    *,
    now: datetime,
    limit: int,
    category_id: int | None,
    area_unit_id: int | None,
    previous,
    max_tickets: int,
) -> list[dict]:
    """``hot_topics`` computed from the terms (no snapshot)."""
    end = min(period.end, now) if now > period.start else period.end
    clauses = _filters(period.start, end, category_id, area_unit_id)
    terms = candidate_terms(clauses)
    docs, meta = _load(clauses, terms)
    found, groups = topics_cluster.topics(docs, min_count=MIN_TOPIC)
    found = found[:limit]
    if not found:
        return []
    prev_docs, _ = _load(_filters(previous.start, previous.end, category_id, area_unit_id), terms)
    prev_assigned = topics_cluster.assign(prev_docs, groups)
    prev_counts = Counter(prev_assigned.values())
    numbers = _numbers([tid for topic in found for tid in sorted(topic.ticket_ids, reverse=True)[:max_tickets]])
    units, categories = _names(meta)
    result = []
    for topic in found:
        previous_count = prev_counts.get(topic.group, 0)
        tids = topic.ticket_ids
        result.append(
            {
                "label": topic.label,
                "keywords": topic.keywords,
                "count": topic.count,
                "callers": len({meta[t][2] for t in tids}),
                "previous": previous_count,
                "change": topic.count - previous_count,
                "areas": _breakdown((meta[t][0] for t in tids), units),
                "categories": _breakdown((meta[t][1] for t in tids), categories),
                "tickets": [numbers[t] for t in sorted(tids, reverse=True)[:max_tickets] if t in numbers],
            }
        )
    return result


def _numbers(ticket_ids: list[int]) -> dict[int, str]:
    numbers: dict[int, str] = {}
    for start in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[start : start + 500]
        numbers.update(db.session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(chunk))).all())
    return numbers


def _names(meta: dict[int, tuple]) -> tuple[dict[int, tuple[str, str]], dict[int, tuple[str, str]]]:
    area_ids = {m[0] for m in meta.values() if m[0] is not None}
    category_ids = {m[1] for m in meta.values()}
    units = {
        uid: (code, name)
        for uid, code, name in db.session.execute(
            select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(area_ids))
        ).all()
    }
    categories = {
        cid: (code, name)
        for cid, code, name in db.session.execute(
            select(Category.id, Category.code, Category.name).where(Category.id.in_(category_ids))
        ).all()
    }
    return units, categories


def _breakdown(ids, names: dict[int, tuple[str, str]]) -> list[dict]:
    counts = Counter(i for i in ids if i is not None)
    rows = [{"code": names[i][0], "name": names[i][1], "count": n} for i, n in counts.items() if i in names]
    rows.sort(key=lambda r: (-r["count"], r["code"]))
    return rows


def current_spikes(now: datetime, *, area_unit_id: int | None = None, max_tickets: int = MAX_TICKETS) -> list[dict]:
    """The open spikes (recorded by the periodic job), the most callers first."""
    stmt = select(Spike).where(Spike.closed_at.is_(None), Spike.first_at <= now)
    if area_unit_id is not None:
        stmt = stmt.where(Spike.area_unit_id == area_unit_id)
    spikes = list(db.session.scalars(stmt.order_by(Spike.callers.desc(), Spike.id)))
    return spikes_out(spikes, max_tickets=max_tickets)


def spikes_out(spikes: list[Spike], *, max_tickets: int = MAX_TICKETS) -> list[dict]:
    if not spikes:
        return []
    rows = db.session.execute(
        select(SpikeTicket.spike_id, Ticket.number)
        .join(Ticket, Ticket.id == SpikeTicket.ticket_id)
        .where(SpikeTicket.spike_id.in_([s.id for s in spikes]))
        .order_by(SpikeTicket.spike_id, Ticket.id.desc())
    ).all()
    numbers: dict[int, list[str]] = defaultdict(list)
    for spike_id, number in rows:
        numbers[spike_id].append(number)
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_({s.area_unit_id for s in spikes})))}
    cats = {
        c.id: c for c in db.session.scalars(select(Category).where(Category.id.in_({s.category_id for s in spikes})))
    }
    out = []
    for s in spikes:
        area, category = units.get(s.area_unit_id), cats.get(s.category_id)
        out.append(
            {
                "id": s.id,
                "label": s.label,
                "keywords": list(s.keywords),
                "count": s.callers,
                "tickets_count": s.ticket_count,
                "baseline": s.baseline,
                "scope": s.scope,
                "area": {"code": area.code, "name": area.name} if area else None,
                "category": {"code": category.code, "name": category.name} if category else None,
                "first_at": s.first_at,
                "last_at": s.last_at,
                "detected_at": s.detected_at,
                "closed_at": s.closed_at,
                "tickets": numbers[s.id][:max_tickets],
            }
        )
    return out
