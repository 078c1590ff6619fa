"""Which changes make a closed month's stored figures stale, and the bump that says so.

A session listener (``after_flush``, installed once per process) looks at every flushed
row of the tables the figures read: tickets, deadlines, callbacks, extension requests,
cards and exemptions. A change that can alter the figures of a closed month bumps that
month's counter (``figure_month_versions``) with one upsert **in the same transaction**, so
a stored month (``figure_rollups``) built before the change is never served after it
commits, and one built while it was pending kept the older version (see
:mod:`hotline.reports.rollups`).

Which months: a ticket's figure rows (deadlines, callbacks, cards, extensions) all lie at
or after its creation, so a change to a ticket's past bumps every month from the month it
was created in. A new row bumps its own month when that month is already closed (a
backfill). Known not to move a closed month, and so not bumped (this keeps last month's
rollup fresh while its tickets are replied and called back in the first days of the next):

- a new callback, card or extension request timed now: each counts in the month it happens;
- a deadline stopped now for any reason but a return (退单): a deadline due in a closed month
  and stopped later stays missed, one still running at a month's end was running then
  (the worst overdue list, which depends on when it is stopped, reads those rows live);
- a ticket's own progress (its status, unless to or from merged; its step times; its lead
  unit; its version): the figures read the deadlines, not these;
- the deadline watch's bookkeeping (next check, warning and red-card times).

Everything else bumps: a return (一次派准率 of the month of the first dispatch), a new
deadline on an older ticket (dispatched, re-dispatched), a merge, an exemption, an extension
decision or a moved due time, an edited category or area, any deletion. A "closed month"
here is one that ends before ``now + GRACE``: a change flushed in the last minutes of a
month bumps that month too, so a transaction would have to stay open ``GRACE`` after its
flush and commit after the month's rollup was built to slip past.

Only rows written through the session are seen. The Core statements that write these tables
today change no closed month: intake's ticket (created now), a card's insert (recorded now,
and the deadline watch's ticket event beside it), and the withdrawal of a pending extension
request on a reply, return or merge (pending to withdrawn: neither is an approved extension).
A new Core write to these tables must bump the months it changes with :func:`bump`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..core import clock

GRACE = timedelta(minutes=15)

# Attributes whose change alone never alters a closed month's figures.
_TICKET_HARMLESS = frozenset(
    {
        "version",
        "updated_at",
        "submitted_at",
        "dispatched_at",
        "accepted_at",
        "returned_at",
        "replied_at",
        "reopened_at",
        "closed_at",
        "reply_due_at",
        "lead_unit_id",
        "reopen_count",
        "status",  # unless to or from merged: checked apart
    }
)
_DEADLINE_HARMLESS = frozenset(
    {"stopped_at", "stop_reason", "next_check_at", "updated_at", "warn_at", "red_at"}
)  # stop_reason: unless "returned", checked apart
_NEW_ROW_TIME = {"callbacks": "created_at", "cards": "recorded_at", "extension_requests": "created_at"}
_WATCHED = ("tickets", "deadlines", "callbacks", "extension_requests", "cards", "exemptions")


def month_of(moment: datetime) -> str:
    return clock.local(moment).strftime("%Y-%m")


def _months_between(first: str, upto: str) -> list[str]:
    """``first`` up to and excluding ``upto`` (both YYYY-MM)."""
    from .monthly import shift_month

    months, month = [], first
    while month < upto:
        months.append(month)
        month = shift_month(month, 1)
    return months


def _changed(obj) -> set[str]:
    """The columns changed (relationships' collections are not the row). Only the attributes
    set since the row was loaded (the state's ``committed_state``) can have changes."""
    state = inspect(obj)
    columns = state.mapper.column_attrs
    return {key for key in state.committed_state if key in columns and state.attrs[key].history.has_changes()}


def _old_and_new(obj, key: str) -> set:
    history = inspect(obj).attrs[key].history
    return set(history.deleted or ()) | set(history.added or ())


def _dirty_matters(table: str, obj) -> bool:
    from ..sla.models import StopReason
    from ..tickets.states import Status

    changed = _changed(obj)
    if not changed:
        return False
    if table == "tickets":
        if "status" in changed and Status.MERGED.value in _old_and_new(obj, "status"):
            return True
        return bool(changed - _TICKET_HARMLESS)
    if table == "deadlines":
        if "stop_reason" in changed and StopReason.RETURNED.value in _old_and_new(obj, "stop_reason"):
            return True
        return bool(changed - _DEADLINE_HARMLESS)
    return True


def _new_matters(table: str, obj) -> bool:
    """A new row that can change an older month through its ticket (not just its own month)."""
    from .models import ExemptionStatus

    if table == "deadlines":
        return True  # the ticket's volume month (dispatched) and first dispatch (一次派准)
    if table == "exemptions":
        return obj.status == ExemptionStatus.APPROVED.value
    return False


def _collect(session) -> tuple[set[int], list[datetime], list]:
    """Tickets whose past a flush changed, their loaded rows, and the times of new rows."""
    ticket_ids: set[int] = set()
    tickets: list = []
    times: list[datetime] = []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table not in _WATCHED:
            continue
        if obj in session.new:
            own = getattr(obj, _NEW_ROW_TIME.get(table, "started_at" if table == "deadlines" else "created_at"), None)
            if table != "exemptions" and own is not None:
                times.append(own)
            if not _new_matters(table, obj):
                continue
        elif obj in session.dirty and not _dirty_matters(table, obj):
            continue
        if table == "tickets":
            tickets.append(obj)
        elif obj.ticket_id is not None:
            ticket_ids.add(obj.ticket_id)
    return ticket_ids, times, tickets


def _created_times(session, ticket_ids: set[int], tickets: list) -> list[datetime]:
    from ..tickets.models import Ticket

    found = [t.created_at for t in tickets if t.created_at is not None]
    missing = []
    mapper = inspect(Ticket)
    for tid in ticket_ids:
        loaded = session.identity_map.get(mapper.identity_key_from_primary_key((tid,)))
        if loaded is not None and "created_at" in loaded.__dict__:
            found.append(loaded.created_at)
        else:
            missing.append(tid)
    if missing:
        rows = session.connection().execute(select(Ticket.created_at).where(Ticket.id.in_(missing)))
        found.extend(created for (created,) in rows)
    return found


def months_touched(session, now: datetime) -> list[str]:
    """The closed months (ending before ``now + GRACE``) whose figures this flush may change."""
    ticket_ids, times, tickets = _collect(session)
    if not ticket_ids and not times and not tickets:
        return []
    horizon = month_of(now + GRACE)  # this month and later: computed live, nothing stored
    months = {month_of(t) for t in times if month_of(t) < horizon}
    if ticket_ids or tickets:
        created = _created_times(session, ticket_ids, tickets)
        if created:
            months.update(_months_between(month_of(min(created)), horizon))
    return sorted(months)


def bump(session, months: list[str]) -> None:
    """``version + 1`` for each month, one upsert (a month's row appears at its first bump)."""
    from .rollup_models import FigureMonthVersion

    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(FigureMonthVersion).values([{"month": m, "version": 1} for m in months])
    stmt = stmt.on_conflict_do_update(index_elements=["month"], set_={"version": FigureMonthVersion.version + 1})
    connection.execute(stmt)


def _after_flush(session, flush_context) -> None:
    if session.info.get("hotline_rollup_watch_off"):
        return
    months = months_touched(session, clock.now())
    if months:
        bump(session, months)


def install() -> None:
    """Once per process (from the reports domain's ``init_app``)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
