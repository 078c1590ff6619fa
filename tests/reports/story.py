"""A month of tickets built by hand through the real services, with known outcomes.

Times are local (Asia/Shanghai). Every ticket's steps are given explicit times; the
deadline watch is run once at a known moment so that the cards are known too.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.extensions import db
from hotline.sla import policies
from hotline.sla.sweep import run_sweep
from hotline.tickets import services as tickets
from hotline.tickets.models import Ticket

SH = ZoneInfo("Asia/Shanghai")


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


class Story:
    def __init__(self, world):
        self.world = world
        self.op = world.user("operator")
        self.disp = world.user("dispatcher")
        self.sup = world.user("supervisor")
        self.staff = {"DEPT-A": world.user("staff_a"), "DEPT-B": world.user("staff_b"), "DEPT-C": world.user("staff_c")}

    def new(self, at, *, request_type="complaint", channel="phone", area="D1-T1", category="SOC.PEN") -> Ticket:
        ticket, _ = tickets.create(
            actor=self.op,
            now=at,
            data=tickets.NewTicket(
                caller_phone="13800138000",
                request_type=request_type,
                category=category,
                content="小区路灯不亮",
                area=area,
                channel=channel,
            ),
        )
        return ticket

    def dispatched(self, at, unit="DEPT-A", **kw) -> Ticket:
        ticket = self.new(at, **kw)
        tickets.submit(ticket, actor=self.op, now=at)
        tickets.dispatch(ticket, actor=self.disp, now=at, lead_unit=unit)
        return ticket

    def accept(self, ticket, at):
        tickets.accept(ticket, actor=self.staff[ticket.lead_unit.code], now=at)

    def reply(self, ticket, at, *, accept=True):
        staff = self.staff[ticket.lead_unit.code]
        if accept and ticket.status == "dispatched":
            tickets.accept(ticket, actor=staff, now=at)
        tickets.reply(ticket, actor=staff, now=at, content="已处理")

    def callback(self, ticket, at, satisfaction="satisfied", resolved=True):
        tickets.callback(ticket, actor=self.op, now=at, satisfaction=satisfaction, resolved=resolved)

    def give_back(self, ticket, at):
        tickets.return_ticket(ticket, actor=self.staff[ticket.lead_unit.code], now=at, reason="非本单位职责")

    def redispatch(self, ticket, at, unit):
        tickets.dispatch(ticket, actor=self.disp, now=at, lead_unit=unit)

    def extend(self, ticket, at, hours, *, approve=True):
        tickets.request_extension(
            ticket, actor=self.staff[ticket.lead_unit.code], now=at, hours=hours, reason="需现场核查"
        )
        tickets.decide_extension(ticket, actor=self.sup, now=at, approve=approve)

    def merge(self, ticket, at, into):
        tickets.merge(ticket, actor=self.disp, now=at, into=into.number)

    def answered(self, at, **kw):
        ticket = self.new(at, **kw)
        tickets.answer(ticket, actor=self.op, now=at, answer_text="已当场答复")
        return ticket

    @staticmethod
    def policies(now):
        """Suggestions: accept within 2 h, reply within 48 h (natural time).
        Help requests: 4 working hours (08:30-12:00, 14:00-18:00 on working days)."""
        policies.create_policy(
            actor=None,
            now=now,
            values={"name": "建议", "request_type": "suggestion", "urgency": "*", "accept_hours": 2, "reply_hours": 48},
        )
        policies.create_policy(
            actor=None,
            now=now,
            values={
                "name": "求助（工作时）",
                "request_type": "help",
                "urgency": "*",
                "reply_hours": 4,
                "clock_mode": "working",
                "working_hours": "08:30-12:00,14:00-18:00",
            },
        )

    @staticmethod
    def sweep(at):
        db.session.commit()
        return run_sweep(at)


def build_november(world) -> dict[str, str]:
    """November 2026, by hand. Returns {name: ticket number}. Expected figures: test_figures.py."""
    from hotline.reports import services as reports
    from hotline.reports.models import Exemption

    s = Story(world)
    s.staff["D2"] = world.user("staff_d2")
    Story.policies(local(10, 1))
    t = {}
    # DEPT-A, complaints: 22 natural hours to reply, no accept deadline.
    t["T0"] = s.dispatched(local(10, 31, 20))  # due Nov 1 18:00
    s.reply(t["T0"], local(11, 1, 10))  # on time, settled in November; received in October
    t["T1"] = s.dispatched(local(11, 3, 9))
    s.reply(t["T1"], local(11, 3, 14))  # 5 h of 22: early
    s.callback(t["T1"], local(11, 4, 9), "satisfied", True)
    t["T8"] = s.dispatched(local(11, 3, 10))
    s.merge(t["T8"], local(11, 3, 11), into=t["T1"])  # a duplicate: never counted
    t["T2"] = s.dispatched(local(11, 5, 9), area="D2")
    s.reply(t["T2"], local(11, 6, 0))  # 15 h: on time, not early
    s.callback(t["T2"], local(11, 6, 10), "basically_satisfied", False)
    t["T3"] = s.dispatched(local(11, 10, 9))  # due Nov 11 07:00
    s.reply(t["T3"], local(11, 11, 15))  # 30 h: overdue (yellow card at the sweep)
    s.callback(t["T3"], local(11, 12, 9), "dissatisfied", False)  # reopened: due Nov 13 07:00
    s.reply(t["T3"], local(11, 12, 11))  # 2 h: on time, early
    s.callback(t["T3"], local(11, 13, 9), "satisfied", True)
    t["T4"] = s.dispatched(local(11, 30, 20))  # due Dec 1 18:00
    s.reply(t["T4"], local(12, 1, 10))  # on time, settled in December; open at November's end
    t["T5"] = s.dispatched(local(11, 15, 9))
    s.give_back(t["T5"], local(11, 15, 10))  # returned by DEPT-A before its deadline: not assessed
    s.redispatch(t["T5"], local(11, 15, 11), "DEPT-B")
    s.reply(t["T5"], local(11, 15, 16))  # DEPT-B: 5 h of 22, early
    t["T6"] = s.dispatched(local(11, 20, 9))  # due Nov 21 07:00
    s.accept(t["T6"], local(11, 20, 10))
    s.extend(t["T6"], local(11, 20, 12), 24)  # due Nov 22 07:00
    s.reply(t["T6"], local(11, 22, 1))  # 40 h of 46: on time, not early
    t["T7"] = s.dispatched(local(11, 22, 9))  # never replied: overdue, yellow and red cards...
    reports.request_exemption(
        t["T7"], actor=s.staff["DEPT-A"], now=local(11, 24, 9), reason_code="force_majeure", note="台风停电"
    )
    exemption = db.session.scalars(db.select(Exemption)).one()
    reports.decide_exemption(exemption, actor=s.sup, now=local(11, 25, 9), approve=True, note="情况属实")  # ...exempted
    t["T12"] = s.dispatched(local(11, 25, 9))  # never replied: overdue, yellow and red cards
    # DEPT-B
    t["T10"] = s.dispatched(local(11, 27, 17), "DEPT-B", request_type="help", category="MISC")
    s.reply(t["T10"], local(11, 30, 10))  # 4 working hours: due Mon Nov 30 11:30, on time
    t["T11"] = s.dispatched(local(11, 16, 9), "DEPT-B", request_type="suggestion")  # accept by 11:00
    s.accept(t["T11"], local(11, 16, 12))  # accepted late (yellow card)
    s.reply(t["T11"], local(11, 16, 19))  # 10 h of 48: early
    t["T13"] = s.dispatched(local(11, 17, 9), "DEPT-B", request_type="suggestion")
    s.accept(t["T13"], local(11, 17, 10))
    s.reply(t["T13"], local(11, 17, 11))  # early
    s.callback(t["T13"], local(11, 18, 9), "dissatisfied", False)  # reopened
    s.accept(t["T13"], local(11, 18, 10))
    s.reply(t["T13"], local(11, 18, 15))  # 6 h of 48: early
    s.callback(t["T13"], local(11, 19, 9), "satisfied", True)
    # D2 (a district)
    t["T14"] = s.dispatched(local(11, 18, 9), "D2", area="D2")
    s.reply(t["T14"], local(11, 18, 10))
    s.callback(t["T14"], local(11, 19, 10), "satisfied", True)
    # Answered on the call
    t["T9"] = s.answered(local(11, 8, 10), channel="wechat", request_type="consultation")
    t["T15"] = s.answered(local(12, 1, 6), request_type="consultation")  # Nov 30 22:00 UTC: December
    Story.sweep(local(11, 29, 0))
    return {name: ticket.number for name, ticket in t.items()}
