from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from ..audit.services import record
from ..core.db import adopt, built_once, upsert_insert
from ..extensions import db
from .models import Caller


def find_or_create(phone: str, *, name: str | None, now: datetime) -> Caller:
    """The caller with this normalised number, created if new; safe under concurrency.

    One statement for a new caller (the INSERT returns the row), two for a known one
    (the INSERT does nothing and returns nothing, then the row is read).
    """
    # A Core statement on the session's connection (the ORM's execution path costs as much
    # again), the new row then adopted as the object a query would have returned.
    params = {"phone": phone, "name": name, "now": now}
    new_id = db.session.connection().execute(_insert_new(), params).scalar_one_or_none()
    if new_id is not None:
        return adopt(Caller, {"id": new_id, "phone": phone, "name": name, "created_at": now, "updated_at": now})
    caller = db.session.scalar(_BY_PHONE, {"phone": phone})
    if name and caller.name != name:
        caller.name = name
        caller.updated_at = now
    return caller


@built_once
def _insert_new():
    now = bindparam("now")
    return (
        upsert_insert(Caller)
        .values(phone=bindparam("phone"), name=bindparam("name"), created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["phone"])
        .returning(Caller.id)
    )


_BY_PHONE = select(Caller).where(Caller.phone == bindparam("phone"))


# A caller's history looked up by number: who, when, which number (audit: object type and id).
LOOKUP_ACTION = "caller.lookup"
LOOKUP_OBJECT = "caller_phone"


def look_up(phone: str, *, actor, now: datetime) -> Caller | None:
    """The caller with this normalised number (or None), the lookup recorded in the audit
    trail whether or not the number is known, so that a supervisor can answer "who looked
    this citizen up" (:func:`hotline.callers.queries.lookups`)."""
    caller = db.session.scalar(_BY_PHONE, {"phone": phone})
    record(
        actor=actor,
        action=LOOKUP_ACTION,
        object_type=LOOKUP_OBJECT,
        object_id=phone,
        now=now,
        data={"caller_id": caller.id if caller else None},
    )
    return caller
