"""One ticket's life for bench/city.py, as the product's services would have written it.

:class:`Simulator` plays each ticket from intake to its last step before the city's "as of"
time (steps after it have not happened yet: the ticket is still open), mirroring
hotline.tickets.services (status, timestamps, events and their data), hotline.sla (the
deadlines of each dispatch round under the demo's policies, extensions, stops, and the
sweep's records and events) and hotline.supervision (a case for every complaint or carded
ticket, a card for every missed deadline). Rows come out as tuples in the column order of
``COLUMNS``, ready for COPY.
"""

from __future__ import annotations

import bisect
import contextlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

from hotline.sla import arithmetic as sla

from . import texts as words

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)

COLUMNS = {
    "tickets": (
        "id, number, version, status, channel, request_type, category_id, area_unit_id, address, content, urgency, "
        "caller_id, caller_name, lead_unit_id, created_by_id, duplicate_of_id, reopen_count, answer_article_id, "
        "answer_text, created_at, updated_at, submitted_at, dispatched_at, accepted_at, returned_at, replied_at, "
        "reopened_at, closed_at, merged_at, reply_due_at"
    ),
    "ticket_events": (
        "id, ticket_id, action, from_status, to_status, actor_id, actor_role, actor_unit_id, at, note, data"
    ),
    "ticket_assist_units": "ticket_id, unit_id",
    "replies": "id, ticket_id, unit_id, author_id, content, created_at",
    "callbacks": "id, ticket_id, operator_id, unit_id, satisfaction, is_resolved, note, created_at",
    "extension_requests": (
        "id, ticket_id, unit_id, requested_by_id, hours, reason, status, created_at, decided_by_id, decided_at, "
        "decision_note, previous_due_at, new_due_at"
    ),
    "deadlines": (
        "id, ticket_id, kind, sequence, unit_id, started_at, base_hours, extension_hours, due_at, warn_at, red_at, "
        "policy, calendar, extensions, stopped_at, stop_reason, next_check_at, created_at, updated_at"
    ),
    "deadline_records": "id, deadline_id, kind, ticket_id, unit_id, point_at, recorded_at",
    "supervision_cases": (
        "id, ticket_id, unit_id, status, origin, reason, opened_by_id, opened_at, updated_at, closed_at, "
        "closed_by_id, closing_note"
    ),
    "cards": "id, deadline_id, deadline_kind, color, unit_id, ticket_id, case_id, due_at, recorded_at",
}

# The demo's deadline policies (hotline/sla/demo.py), inserted by city.py with these ids.
POLICIES = (
    {
        "id": 1,
        "name": "一般件",
        "request_type": "*",
        "urgency": "*",
        "accept_hours": 2.0,
        "reply_hours": 22.0,
        "clock_mode": "natural",
    },
    {
        "id": 2,
        "name": "紧急件",
        "request_type": "*",
        "urgency": "urgent",
        "accept_hours": 1.0,
        "reply_hours": 12.0,
        "clock_mode": "natural",
    },
    {
        "id": 3,
        "name": "投诉件（按工作时间）",
        "request_type": "complaint",
        "urgency": "*",
        "accept_hours": 2.0,
        "reply_hours": 22.0,
        "clock_mode": "working",
    },
)
WORKING_PERIODS = sla.parse_working_hours(sla.DEFAULT_WORKING_HOURS)


def terms(policy: dict) -> dict:
    """The snapshot a deadline stores (hotline.sla.policies.Terms.as_dict)."""
    return {
        "policy_id": policy["id"],
        "name": policy["name"],
        "version": 1,
        "request_type": policy["request_type"],
        "urgency": policy["urgency"],
        "accept_hours": policy["accept_hours"],
        "reply_hours": policy["reply_hours"],
        "warn_ratio": 0.8,
        "red_ratio": 2.0,
        "clock_mode": policy["clock_mode"],
        "working_hours": sla.DEFAULT_WORKING_HOURS,
    }


TERMS = {p["id"]: terms(p) for p in POLICIES}
TERMS_JSON = {k: json.dumps(v, ensure_ascii=False) for k, v in TERMS.items()}


def policy_for(request_type: str, urgency: str) -> int:
    """hotline.sla.policies.terms_for over the demo's policies: urgency beats request type."""
    if urgency == "urgent":
        return 2
    return 3 if request_type == "complaint" else 1


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


@dataclass
class Refs:
    """Ids of the reference rows the tickets point at."""

    departments: list[tuple[int, str]]  # (id, code)
    districts: list[tuple[int, str]]
    towns: list[tuple[int, str, int]]  # (id, code, district index)
    categories: list[tuple[int, str, int, float]]  # (id, code, default department index, weight)
    staff: dict[int, int]  # unit id → its staff user id
    operators: list[int]
    dispatchers: list[int]
    supervisors: list[int]
    callers: int
    unit_code: dict[int, str] = field(default_factory=dict)
    unit_name: dict[int, str] = field(default_factory=dict)


class Cut(Exception):
    """The next step would happen after the city's "as of": the ticket stops here."""


@dataclass
class Ids:
    event: int = 0
    reply: int = 0
    callback: int = 0
    extension: int = 0
    deadline: int = 0
    record: int = 0
    case: int = 0
    card: int = 0


@dataclass
class Clock:
    """One deadline of one ticket (a ``deadlines`` row in the making)."""

    id: int
    kind: str
    sequence: int
    unit_id: int
    started_at: datetime
    base_hours: float
    policy_id: int
    due_at: datetime
    warn_at: datetime
    red_at: datetime
    calendar: dict
    extension_hours: float = 0.0
    extensions: list = field(default_factory=list)
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    updated_at: datetime | None = None


def compute(start: datetime, hours: float, policy_id: int) -> tuple[sla.Points, dict]:
    t = TERMS[policy_id]
    if t["clock_mode"] == "natural":
        return sla.points(start, hours, warn_ratio=0.8, red_ratio=2.0), {"mode": "natural"}
    points = sla.points(
        start,
        hours,
        warn_ratio=0.8,
        red_ratio=2.0,
        mode="working",
        periods=WORKING_PERIODS,
        is_working_day=is_working_day,
        zone=SHANGHAI,
    )
    years = sorted({start.astimezone(SHANGHAI).year, points.red_at.astimezone(SHANGHAI).year})
    calendar = {
        "mode": "working",
        "working_hours": t["working_hours"],
        "zone": "Asia/Shanghai",
        "years": {str(y): "package" for y in years},
    }
    return points, calendar


def _cum(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return [c / total for c in out]


CHANNELS = ("phone", "wechat", "web", "app", "sms", "email", "letter", "walk_in")
CHANNEL_CUM = _cum((65, 12, 8, 8, 3, 1, 1, 2))
REQUEST_TYPES = ("consultation", "help", "complaint", "report", "suggestion", "praise")
REQUEST_CUM = _cum((40, 20, 22, 8, 7, 3))
SATISFACTIONS = ("satisfied", "basically_satisfied")
DEADLINE_LABELS = {"accept": "签收时限", "reply": "答复时限"}
POINT_EVENTS = {"warning": ("deadline_warning",), "overdue": ("deadline_overdue", "yellow_card"), "red": ("red_card",)}


def place_names(r) -> tuple[str, str]:
    """A road and a housing estate: a few well-known ones, mostly one of thousands of others
    (so that no place name becomes a "hot topic" of its own)."""
    w, syllables = words, words.TOWN_SYLLABLES
    if r.random() < 0.1:
        return w.ROADS[r.randrange(len(w.ROADS))], w.ESTATES[r.randrange(len(w.ESTATES))]
    n = len(syllables)
    road = syllables[r.randrange(n)] + syllables[r.randrange(n)] + w.ROAD_SUFFIXES[r.randrange(len(w.ROAD_SUFFIXES))]
    estate = (
        syllables[r.randrange(n)] + syllables[r.randrange(n)] + w.ESTATE_SUFFIXES[r.randrange(len(w.ESTATE_SUFFIXES))]
    )
    return road, estate


def _pick(cum: list[float], values, x: float):
    return values[bisect.bisect_left(cum, x)]


class TicketState:
    __slots__ = (
        "accepted_at",
        "address",
        "answer_text",
        "area",
        "assists",
        "caller_id",
        "category",
        "channel",
        "closed_at",
        "content",
        "created_at",
        "created_by",
        "dispatched_at",
        "district",
        "duplicate_of",
        "id",
        "lead",
        "merged_at",
        "number",
        "policy",
        "reopen_count",
        "reopened_at",
        "replied_at",
        "reply_due_at",
        "request_type",
        "returned_at",
        "status",
        "submitted_at",
        "town",
        "updated_at",
        "urgency",
        "version",
    )

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)


class Simulator:
    """Plays tickets one by one (in order of creation) and collects their rows."""

    def __init__(self, refs: Refs, as_of: datetime, rng, rates: dict, texts: list[str] | None = None):
        self.refs, self.as_of, self.rng, self.rates, self.texts = refs, as_of, rng, rates, texts or []
        self.ids = Ids()
        self.rows: dict[str, list] = {name: [] for name in COLUMNS}
        self.day_counters: dict[str, int] = {}
        self.numbers: list[str] = [""]  # index = ticket id
        self.merged_into: dict[int, int] = {}
        self.category_cum = _cum([c[3] for c in refs.categories])
        self.town_cum = _cum([1.0 + (i % 7) * 0.4 for i in range(len(refs.towns))])
        self.words = words
        self.issues = {code: issues for _, _, leaves in words.CATEGORIES for code, _, _, _, issues in leaves}

    # --- the ticket's attributes --------------------------------------------------------

    def _attributes(self, st: TicketState, incident) -> None:
        r, refs, w = self.rng, self.refs, self.words
        st.channel = _pick(CHANNEL_CUM, CHANNELS, r.random())
        st.request_type = _pick(REQUEST_CUM, REQUEST_TYPES, r.random())
        st.urgency = "urgent" if r.random() < 0.05 else "normal"
        if incident is not None:
            st.category, town_index, text = incident
            st.request_type = "complaint" if r.random() < 0.5 else "help"
        else:
            st.category = bisect.bisect_left(self.category_cum, r.random())
            town_index = bisect.bisect_left(self.town_cum, r.random())
            text = None
        town = refs.towns[town_index]
        st.town, st.district = town[0], refs.districts[town[2]][0]
        x = r.random()
        st.area = st.town if x < 0.85 else (st.district if x < 0.95 else None)
        road, estate = place_names(r)
        st.address = f"{refs.unit_name[st.town]}{road}{r.randrange(1, 300)}号{estate}"
        place = f"{road}{estate}"
        ask = w.ASKS[st.request_type]
        if text is not None:
            body = text.format(place=place)
        elif self.texts and r.random() < self.rates["texts_share"]:
            body = self.texts[r.randrange(len(self.texts))]
        else:
            issues = self.issues[refs.categories[st.category][1]]
            detail = w.DETAILS[r.randrange(len(w.DETAILS))].format(n=r.randrange(2, 30)) if r.random() < 0.3 else ""
            body = f"{place}{issues[r.randrange(len(issues))]}，{detail}"
        closing = ask[r.randrange(len(ask))] if r.random() < 0.5 else ""
        st.content = f"{w.OPENERS[r.randrange(len(w.OPENERS))]}{body}{closing}"
        st.caller_id = 1 + int(refs.callers * r.random() ** 2.5) if refs.callers > 1 else 1

    # --- steps, as the services take them -------------------------------------------------

    def _act(self, at: datetime, action: str, to: str, actor, note=None, data=None) -> None:
        if at >= self.as_of:
            raise Cut
        st = self.st
        self.events.append((at, action, st.status, to, actor, note, data))
        st.status, st.updated_at = to, at
        st.version += 1

    def _staff(self, unit_id: int):
        return (self.refs.staff[unit_id], "unit_staff", unit_id)

    def _any(self, ids: list[int], role: str):
        return (ids[self.rng.randrange(len(ids))], role, None)

    def _stop(self, at: datetime, reason: str, kinds=("accept", "reply")) -> None:
        for c in self.clocks:
            if c.stopped_at is None and c.kind in kinds:
                c.stopped_at, c.stop_reason, c.updated_at = at, reason, at

    def _open_clocks(self, at: datetime, unit_id: int, computed) -> tuple[Clock, Clock]:
        st = self.st
        self._stop(at, "redispatched")
        sequence = 1 + sum(1 for c in self.clocks if c.kind == "reply")
        made = []
        for kind, (points, calendar) in zip(("accept", "reply"), computed, strict=True):
            hours = TERMS[st.policy][f"{kind}_hours"]
            self.ids.deadline += 1
            made.append(
                Clock(
                    self.ids.deadline,
                    kind,
                    sequence,
                    unit_id,
                    at,
                    hours,
                    st.policy,
                    points.due_at,
                    points.warn_at,
                    points.red_at,
                    calendar,
                    updated_at=at,
                )
            )
        self.clocks.extend(made)
        return made[0], made[1]

    def _dispatch(self, at: datetime, unit_id: int, *, reopen_data: dict | None = None) -> None:
        st, refs, r = self.st, self.refs, self.rng
        computed = [compute(at, TERMS[st.policy][f"{kind}_hours"], st.policy) for kind in ("accept", "reply")]
        accept_points, reply_points = computed[0][0], computed[1][0]
        sla_data = {"policy": TERMS[st.policy], "accept_due_at": iso(accept_points.due_at)}
        if reopen_data is None:
            assists = []
            if r.random() < 0.03:
                other = refs.towns[r.randrange(len(refs.towns))][0]
                assists = [other] if other != unit_id else []
            data = {
                "lead_unit": refs.unit_code[unit_id],
                "assist_units": [refs.unit_code[u] for u in assists],
                "reply_due_at": iso(reply_points.due_at),
                "sla": sla_data,
            }
            self._act(at, "dispatch", "dispatched", self._any(refs.dispatchers, "dispatcher"), data=data)
            st.assists = assists
        else:
            data = {
                **reopen_data,
                "reply_due_at": iso(reply_points.due_at),
                "lead_unit": refs.unit_code[unit_id],
                "sla": sla_data,
            }
            self._act(at, "reopen", "dispatched", self._any(refs.operators, "operator"), data=data)
            st.reopen_count += 1
            st.reopened_at = at
        st.lead, st.dispatched_at, st.accepted_at, st.replied_at = unit_id, at, None, None
        st.reply_due_at = reply_points.due_at
        self._open_clocks(at, unit_id, computed)
        if self.case is not None and self.case["unit_id"] is None:
            self.case["unit_id"] = unit_id

    def _first_unit(self) -> int:
        st, refs, x = self.st, self.refs, self.rng.random()
        if x < 0.6:
            return refs.departments[refs.categories[st.category][2]][0]
        return st.town if x < 0.9 else st.district

    def _other_unit(self, unit_id: int) -> int:
        st, refs = self.st, self.refs
        department = refs.departments[refs.categories[st.category][2]][0]
        if unit_id == department:
            return st.town
        if unit_id == st.town:
            return department
        return refs.departments[self.rng.randrange(len(refs.departments))][0]

    def _return(self, at: datetime) -> None:
        st, w, refs = self.st, self.words, self.refs
        reason = w.RETURN_REASONS[self.rng.randrange(len(w.RETURN_REASONS))]
        data = {"lead_unit": refs.unit_code[st.lead], "assist_units": [refs.unit_code[u] for u in st.assists]}
        self._act(at, "return", "returned", self._staff(st.lead), note=reason, data=data)
        self._stop(at, "returned")
        st.lead, st.assists, st.returned_at, st.reply_due_at = None, [], at, None

    def _accept(self, at: datetime) -> None:
        self._act(at, "accept", "accepted", self._staff(self.st.lead))
        self.st.accepted_at = at
        self._stop(at, "met", ("accept",))

    def _extension(self, at: datetime) -> datetime:
        """Ask for more time at ``at``; a supervisor decides a little later. Returns the decision's time."""
        st, r, w = self.st, self.rng, self.words
        hours = (24, 48, 72)[r.randrange(3)]
        reason = w.EXTENSION_REASONS[r.randrange(len(w.EXTENSION_REASONS))]
        self.ids.extension += 1
        ext = [
            self.ids.extension,
            st.id,
            st.lead,
            self.refs.staff[st.lead],
            hours,
            reason,
            "pending",
            at,
            None,
            None,
            None,
            st.reply_due_at,
            None,
        ]
        self._act(
            at,
            "request-extension",
            "accepted",
            self._staff(st.lead),
            note=reason,
            data={"hours": hours, "extension_request_id": ext[0]},
        )
        self.extensions.append(ext)
        decided = at + timedelta(hours=r.uniform(0.3, 4))
        approve = r.random() < 0.8
        data = {"approve": approve, "hours": hours, "extension_request_id": ext[0]}
        clock = next(c for c in self.clocks if c.kind == "reply" and c.stopped_at is None)
        if approve:
            points, calendar = compute(clock.started_at, clock.base_hours + clock.extension_hours + hours, st.policy)
            data["reply_due_at"] = iso(points.due_at)
        supervisor = self._any(self.refs.supervisors, "supervisor")
        self._act(decided, "decide-extension", "accepted", supervisor, data=data)
        ext[6], ext[8], ext[9] = ("approved" if approve else "refused"), supervisor[0], decided
        if approve:
            ext[11], ext[12] = st.reply_due_at, points.due_at
            clock.extension_hours += hours
            clock.extensions.append({"hours": hours, "at": iso(decided), "extension_request_id": ext[0]})
            clock.due_at, clock.warn_at, clock.red_at, clock.calendar = (
                points.due_at,
                points.warn_at,
                points.red_at,
                calendar,
            )
            clock.updated_at = decided
            st.reply_due_at = points.due_at
        return decided

    def _reply(self, at: datetime) -> None:
        st, w = self.st, self.words
        content = w.REPLIES[self.rng.randrange(len(w.REPLIES))]
        self._act(
            at, "reply", "replied", self._staff(st.lead), note=content, data={"on_time": not at > st.reply_due_at}
        )
        self.ids.reply += 1
        self.rows["replies"].append((self.ids.reply, st.id, st.lead, self.refs.staff[st.lead], content, at))
        st.replied_at = at
        self._stop(at, "met")

    def _callback(self, at: datetime, satisfaction: str, resolved: bool) -> None:
        st = self.st
        if at >= self.as_of:
            raise Cut
        self.ids.callback += 1
        operator = self._any(self.refs.operators, "operator")
        self.rows["callbacks"].append(
            (self.ids.callback, st.id, operator[0], st.lead, satisfaction, resolved, None, at)
        )
        if satisfaction == "dissatisfied":
            self._dispatch(at, st.lead, reopen_data={"satisfaction": satisfaction, "resolved": resolved})
            return
        self._act(at, "callback", "closed", operator, data={"satisfaction": satisfaction, "resolved": resolved})
        st.closed_at = at
        self._stop(at, "closed")

    # --- a whole life ---------------------------------------------------------------------

    def play(self, created: datetime, incident=None) -> None:
        """Play one ticket created at ``created`` (tickets come in order of creation)."""
        refs = self.refs
        st = self.st = TicketState()
        st.id = len(self.numbers)
        day = created.astimezone(SHANGHAI).strftime("%Y%m%d")
        self.day_counters[day] = count = self.day_counters.get(day, 0) + 1
        st.number = f"{day}-{count:06d}"
        self.numbers.append(st.number)
        self._attributes(st, incident)
        st.version, st.reopen_count, st.assists = 1, 0, []
        st.created_at = st.updated_at = created
        st.policy = policy_for(st.request_type, st.urgency)
        operator = self._any(refs.operators, "operator")
        st.created_by = operator[0]
        self.events, self.clocks, self.extensions, self.case = [], [], [], None
        st.status = None
        self.events.append(
            (
                created,
                "create",
                None,
                "new",
                operator,
                None,
                {
                    "request_type": st.request_type,
                    "category": refs.categories[st.category][1],
                    "channel": st.channel,
                    "urgency": st.urgency,
                },
            )
        )
        st.status = "new"
        if st.request_type == "complaint":
            self.case = {"unit_id": None, "origin": "complaint", "opened_at": created, "updated_at": created}
        with contextlib.suppress(Cut):
            self._life(created, operator)
        self._finish()

    def _life(self, t: datetime, operator) -> None:
        st, r, rates = self.st, self.rng, self.rates
        if st.id > 100 and r.random() < rates["merge"]:
            t += timedelta(minutes=r.uniform(3, 240))
            target = st.id - r.randrange(1, 100)
            target = self.merged_into.get(target, target)
            self._act(t, "merge", "merged", operator, data={"into": self.numbers[target]})
            st.duplicate_of, st.merged_at = target, t
            self.merged_into[st.id] = target
            return
        answered = r.random() < (rates["answered"] * (2.0 if st.request_type == "consultation" else 0.45))
        if answered and st.request_type not in ("complaint", "report"):
            t += timedelta(minutes=r.uniform(2, 12))
            answer = "已按知识库口径当场答复来电人。"
            self._act(t, "answer", "closed", operator, note=answer)
            st.answer_text, st.closed_at = answer, t
            return
        t += timedelta(minutes=r.uniform(1, 8))
        self._act(t, "submit", "pending_dispatch", operator)
        st.submitted_at = t
        t += timedelta(minutes=min(r.expovariate(1 / 60), 900) + 2)
        unit = self._first_unit()
        self._dispatch(t, unit)
        returned = False
        stuck = r.random() < rates["stuck"]
        while True:
            will_return = not returned and r.random() < rates["returned"]
            if will_return and r.random() < 0.4:  # sent back before accepting it
                self._return(t + timedelta(hours=r.uniform(0.1, 1.9)))
                returned, unit = True, self._other_unit(unit)
                t = st.returned_at + timedelta(minutes=r.uniform(10, 300))
                self._dispatch(t, unit)
                continue
            x = r.random()
            delay = r.uniform(0.05, 1.9) if x < 0.96 else (r.uniform(2, 4) if x < 0.99 else r.uniform(4, 40))
            if stuck and r.random() < 0.3:
                raise Cut  # never accepted: open and overdue
            accept_at = t + timedelta(hours=delay)
            self._accept(accept_at)
            if will_return:
                self._return(accept_at + timedelta(hours=r.uniform(0.2, 6)))
                returned, unit = True, self._other_unit(unit)
                t = st.returned_at + timedelta(minutes=r.uniform(10, 300))
                self._dispatch(t, unit)
                continue
            if stuck:
                raise Cut  # never replied: open and overdue
            earliest = accept_at + timedelta(minutes=10)
            if r.random() < rates["extension"]:
                earliest = self._extension(accept_at + timedelta(hours=r.uniform(0.5, 3))) + timedelta(minutes=10)
            allowance = st.reply_due_at - st.dispatched_at
            x = r.random()
            share = r.uniform(0.1, 0.97) if x < 0.93 else (r.uniform(1.0, 1.9) if x < 0.985 else r.uniform(2.0, 4.0))
            reply_at = max(earliest, st.dispatched_at + allowance * share)
            self._reply(reply_at)
            callback_at = reply_at + timedelta(hours=min(r.expovariate(1 / 20), 120) + 1)
            reopen = st.reopen_count < 2 and r.random() < (rates["reopen"] if st.reopen_count == 0 else 0.15)
            if reopen:
                self._callback(callback_at, "dissatisfied", r.random() < 0.2)
                t = callback_at
                continue
            satisfaction = SATISFACTIONS[0] if r.random() < 0.8 else SATISFACTIONS[1]
            self._callback(callback_at, satisfaction, r.random() < (0.97 if satisfaction == "satisfied" else 0.85))
            return

    # --- rows -----------------------------------------------------------------------------

    def _sweep(self) -> list[tuple]:
        """The deadline watch's records (and cards) for every point passed before "as of"."""
        r, as_of, refs, ids = self.rng, self.as_of, self.refs, self.ids
        sweep_events = []
        for c in self.clocks:
            recorded, pending = [], []
            for kind, point in (("warning", c.warn_at), ("overdue", c.due_at), ("red", c.red_at)):
                at = point + timedelta(seconds=r.uniform(1, 60))  # the next minute's sweep
                stopped = c.stopped_at
                if kind == "warning":
                    eligible_now = stopped is None or at < stopped
                else:
                    eligible_now = stopped is None or point < stopped
                if not eligible_now:
                    continue
                if at < as_of:
                    recorded.append((kind, point, at))
                else:
                    pending.append(point)
            c.next_check_at = min(pending) if pending else None
            for kind, point, at in recorded:
                ids.record += 1
                self.rows["deadline_records"].append((ids.record, c.id, kind, self.st.id, c.unit_id, point, at))
                data = dumps(
                    {
                        "deadline_id": c.id,
                        "deadline": c.kind,
                        "deadline_label": DEADLINE_LABELS[c.kind],
                        "sequence": c.sequence,
                        "unit": refs.unit_code[c.unit_id],
                        "due_at": iso(c.due_at),
                        "point_at": iso(point),
                    }
                )
                for action in POINT_EVENTS[kind]:
                    sweep_events.append((at, action, data))
                if kind != "warning":
                    self._card(c, "yellow" if kind == "overdue" else "red", at)
        return sweep_events

    def _card(self, c: Clock, color: str, at: datetime) -> None:
        if self.case is None:
            self.case = {"unit_id": c.unit_id, "origin": "card", "opened_at": at, "updated_at": at}
        case = self.case
        if case["unit_id"] is None:
            case["unit_id"] = c.unit_id
        case["updated_at"] = max(case["updated_at"], at)
        self.ids.card += 1
        case.setdefault("cards", []).append((self.ids.card, c.id, c.kind, color, c.unit_id, self.st.id, c.due_at, at))

    def _finish(self) -> None:
        st, rows, ids = self.st, self.rows, self.ids
        sweep_events = self._sweep()
        # Events in time order; the watch's events carry the status the ticket had then.
        times = [e[0] for e in self.events]
        merged = [(e[0], 0, i) for i, e in enumerate(self.events)] + [(e[0], 1, i) for i, e in enumerate(sweep_events)]
        merged.sort()
        for at, source, i in merged:
            ids.event += 1
            if source == 0:
                _, action, frm, to, actor, note, data = self.events[i]
                actor = actor or (None, None, None)
                rows["ticket_events"].append(
                    (
                        ids.event,
                        st.id,
                        action,
                        frm,
                        to,
                        actor[0],
                        actor[1],
                        actor[2],
                        at,
                        note,
                        dumps(data) if data else "{}",
                    )
                )
            else:
                _, action, data = sweep_events[i]
                status = self.events[bisect.bisect_right(times, at) - 1][3]
                rows["ticket_events"].append(
                    (ids.event, st.id, action, status, status, None, None, None, at, None, data)
                )
        for c in self.clocks:
            rows["deadlines"].append(
                (
                    c.id,
                    st.id,
                    c.kind,
                    c.sequence,
                    c.unit_id,
                    c.started_at,
                    c.base_hours,
                    c.extension_hours,
                    c.due_at,
                    c.warn_at,
                    c.red_at,
                    TERMS_JSON[c.policy_id],
                    dumps(c.calendar),
                    dumps(c.extensions),
                    c.stopped_at,
                    c.stop_reason,
                    c.next_check_at,
                    c.started_at,
                    c.updated_at,
                )
            )
        rows["extension_requests"].extend(tuple(e) for e in self.extensions)
        for unit_id in st.assists or ():
            rows["ticket_assist_units"].append((st.id, unit_id))
        if self.case is not None:
            self._case_rows()
        refs = self.refs
        rows["tickets"].append(
            (
                st.id,
                st.number,
                st.version,
                st.status,
                st.channel,
                st.request_type,
                refs.categories[st.category][0],
                st.area,
                st.address,
                st.content,
                st.urgency,
                st.caller_id,
                None,
                st.lead,
                st.created_by,
                st.duplicate_of,
                st.reopen_count,
                None,
                st.answer_text,
                st.created_at,
                st.updated_at,
                st.submitted_at,
                st.dispatched_at,
                st.accepted_at,
                st.returned_at,
                st.replied_at,
                st.reopened_at,
                st.closed_at,
                st.merged_at,
                st.reply_due_at,
            )
        )

    def _case_rows(self) -> None:
        st, case, r = self.st, self.case, self.rng
        self.ids.case += 1
        case_id = self.ids.case
        finished = st.closed_at or st.merged_at
        closed_at = None
        if finished is not None:
            closed_at = max(finished, case["updated_at"]) + timedelta(hours=r.uniform(2, 72))
            if closed_at >= self.as_of:
                closed_at = None
        supervisor = self.refs.supervisors[r.randrange(len(self.refs.supervisors))]
        self.rows["supervision_cases"].append(
            (
                case_id,
                st.id,
                case["unit_id"],
                "closed" if closed_at else "open",
                case["origin"],
                None,
                None,
                case["opened_at"],
                closed_at or case["updated_at"],
                closed_at,
                supervisor if closed_at else None,
                "工单已办结，结案。" if closed_at else None,
            )
        )
        for card in case.get("cards", ()):
            self.rows["cards"].append((*card[:6], case_id, *card[6:]))
