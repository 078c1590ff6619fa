"""Setups shared by the reports' permission rows and tests."""

from __future__ import annotations

from hotline.core import clock
from hotline.extensions import db
from hotline.reports import services
from hotline.reports.models import Exemption


def reasons(world) -> dict:
    with world.app.app_context():
        services.ensure_default_reasons(now=clock.now())
        db.session.commit()
    return {}


def ticket_for_exemption(world) -> dict:
    """A complaint dispatched to DEPT-A (staff_own): the first ticket of the day, 20261121-000001."""
    reasons(world)
    number = world.ticket("dispatched", lead="DEPT-A")
    return {"number": number}


def exemption(world) -> dict:
    number = ticket_for_exemption(world)["number"]
    with world.app.app_context():
        ticket = world.get(number)
        x = services.request_exemption(
            ticket, actor=world.user("staff_a"), now=clock.now(), reason_code="force_majeure", note="台风停电"
        )
        db.session.commit()
        return {"exemption_id": x.id, "number": number}


def unused_reason(world) -> dict:
    with world.app.app_context():
        services.create_reason(actor=None, now=clock.now(), values={"code": "temp", "name": "临时理由"})
        db.session.commit()
    return {"code": "temp"}


def exemption_count(world) -> int:
    with world.app.app_context():
        return db.session.scalar(db.select(db.func.count(Exemption.id)))
