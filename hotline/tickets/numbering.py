"""Human-readable ticket numbers: 20261121-000123, one sequence per local day.

The counter row of the day is incremented with one INSERT ... ON CONFLICT DO UPDATE ...
RETURNING: PostgreSQL serialises concurrent intakes on that row, SQLite on its write
lock, and the unique constraint on tickets.number is the last line of defence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam

from ..core import clock
from ..core.db import built_once, upsert_insert
from ..extensions import db
from .models import TicketNumberCounter


def next_number(now: datetime) -> str:
    day = clock.local(now).strftime("%Y%m%d")
    # On the session's connection: a plain Core statement, spared the ORM's execution path.
    value = db.session.connection().execute(_increment(), {"day": day}).scalar_one()
    return f"{day}-{value:06d}"


@built_once
def _increment():
    return (
        upsert_insert(TicketNumberCounter)
        .values(day=bindparam("day"), last_value=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last_value": TicketNumberCounter.last_value + 1})
        .returning(TicketNumberCounter.last_value)
    )
