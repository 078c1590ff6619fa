"""Helpers for the bulletin's tests and permission rows: tickets handled at given times,
and a published month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import bulletins
from hotline.tickets import services as tickets

SH = ZoneInfo("Asia/Shanghai")
PUBLISHED_MONTH = "2026-10"  # over at the tests' frozen now (2026-11-21)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)


def nov(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return at(11, day, hour, minute)


def handled(
    world,
    *,
    lead: str,
    at: datetime,
    reply_after: timedelta | None,
    satisfaction: str | None = None,
    category: str = "SOC.PEN",
    request_type: str = "help",
    content: str = "养老金未按时到账",
) -> str:
    """A ticket dispatched to ``lead`` at ``at``, replied ``reply_after`` later (or not),
    called back with ``satisfaction`` (or not), through the real services. Returns its
    number (commits; call inside an app context)."""
    op, disp = world.user("operator"), world.user("dispatcher")
    staff = world._staff_of(lead)
    ticket, _ = tickets.create(
        actor=op,
        now=at,
        data=tickets.NewTicket(
            caller_phone="13800138000", request_type=request_type, category=category, content=content, area="D1-T1"
        ),
    )
    tickets.submit(ticket, actor=op, now=at + timedelta(minutes=1))
    tickets.dispatch(ticket, actor=disp, now=at + timedelta(minutes=2), lead_unit=lead)
    tickets.accept(ticket, actor=staff, now=at + timedelta(minutes=30))
    if reply_after is not None:
        tickets.reply(ticket, actor=staff, now=at + timedelta(minutes=2) + reply_after, content="已办理")
        if satisfaction:
            tickets.callback(
                ticket,
                actor=op,
                now=at + reply_after + timedelta(hours=1),
                satisfaction=satisfaction,
                resolved=satisfaction != "dissatisfied",
            )
    db.session.commit()
    return ticket.number


def publish(world, month: str = PUBLISHED_MONTH) -> str:
    with world.app.app_context():
        bulletins.publish(month, actor=world.user("supervisor"), now=clock.now())
        db.session.commit()
    return month


def published(world) -> dict:
    return {"month": publish(world)}
