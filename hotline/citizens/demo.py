"""Demo data of the citizens' channels: two requests written in through the web form, one
with a photo, waiting in the operators' triage queue (网上来件). Idempotent."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from ..accounts.channel_accounts import channel_account
from ..attachments import services as attachments
from ..attachments.models import Source
from ..extensions import db
from ..tickets import services as tickets
from ..tickets.models import Ticket

LABEL = "web requests added"

# (minutes ago, request type, category, area, address, content, name, mobile, with a photo)
REQUESTS = [
    (
        95,
        "report",
        "TRAFFIC.ROAD",
        "NH-01",
        "湖滨路与新湖街交叉口东侧",
        "湖滨路与新湖街交叉口东侧人行道有一处塌陷，约一米见方，晚上没有警示，已经有老人绊倒，请尽快修复。",
        "陈女士",
        "13712340001",
        True,
    ),
    (
        40,
        "consultation",
        None,
        "NH",
        None,
        "请问孩子今年九月上小学，南湖区的入学报名什么时候开始，需要准备哪些材料？",
        "黄先生",
        "13712340002",
        False,
    ),
]


def _photo() -> bytes:
    """A drawn picture of a broken pavement (a demo needs no real photo)."""
    image = Image.new("RGB", (800, 600), (170, 170, 165))
    draw = ImageDraw.Draw(image)
    for x in range(0, 800, 100):
        draw.line([(x, 0), (x, 600)], fill=(150, 150, 145), width=4)
    for y in range(0, 600, 100):
        draw.line([(0, y), (800, y)], fill=(150, 150, 145), width=4)
    draw.ellipse([260, 200, 560, 420], fill=(70, 60, 50))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed(now: datetime) -> tuple[str, int]:
    if db.session.scalar(select(Ticket.id).where(Ticket.channel == "web").limit(1)) is not None:
        return LABEL, 0
    from .webform import default_category

    added = 0
    for minutes, request_type, category, area, address, content, name, mobile, with_photo in REQUESTS:
        at = now - timedelta(minutes=minutes)
        actor = channel_account("web", now=at)
        ticket, _ = tickets.create(
            actor=actor,
            data=tickets.NewTicket(
                caller_phone=mobile,
                caller_name=name,
                request_type=request_type,
                category=category or default_category(),
                area=area,
                address=address,
                content=content,
                channel="web",
            ),
            now=at,
        )
        if with_photo:
            attachments.attach_upload(
                ticket, _photo(), "人行道塌陷.jpg", actor=actor, now=at, source=Source.WEB_FORM.value
            )
        added += 1
    db.session.flush()
    return LABEL, added
