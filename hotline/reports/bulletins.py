"""The monthly bulletin's life: preview, publish (frozen), and dated corrections (更正).

- ``preview``: the month computed now; stored nowhere.
- ``publish``: a supervisor publishes a month once it is over; the document is stored as
  published and never changes (the tables refuse UPDATE and DELETE).
- ``record_corrections``: compare what the bulletin shows (as published, with the earlier
  corrections applied) with a fresh computation; every figure that differs goes into one
  dated correction row. Nothing differs: no row. A supervisor runs it, and the periodic
  job ``check_published`` does for the recent bulletins.

Services take ``actor`` and ``now``, audit every step, and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..core import clock
from ..core.errors import Conflict, NotFound
from ..extensions import db
from . import monthly
from .bulletin_models import Bulletin, BulletinCorrection

log = logging.getLogger(__name__)


def compared() -> list[tuple[str, str, str, str]]:
    """The figures a correction compares: (scope, key, Chinese label, kind)."""
    return (
        [("centre", key, label, kind) for key, label, kind in monthly.centre_rows()]
        + [("summary", key, label, kind) for key, label, kind in monthly.summary_rows()]
        + [("unit", key, label, kind) for key, label, kind in monthly.unit_columns() if kind != "text"]
    )


SCOPE_NAMES = {"centre": "热线中心", "summary": "全市成员单位"}
RECENT_MONTHS = 12  # the periodic check looks at the bulletins of the last twelve months


def preview(month: str, *, now: datetime) -> dict:
    return monthly.compute(month, now=now)


def get_published(month: str) -> Bulletin | None:
    return db.session.scalar(select(Bulletin).where(Bulletin.month == month))


def get_published_or_404(month: str) -> Bulletin:
    bulletin = get_published(month)
    if bulletin is None:
        raise NotFound(f"No bulletin published for {month}.", message_zh=f"{month} 的通报尚未发布。")
    return bulletin


def list_published() -> list[Bulletin]:
    return list(db.session.scalars(select(Bulletin).order_by(Bulletin.month.desc())))


def document(bulletin: Bulletin) -> dict:
    """The published document with its corrections (the stored figures are not touched)."""
    doc = dict(bulletin.document)
    doc["corrections"] = [correction_out(c) for c in bulletin.corrections]
    return doc


def correction_out(correction: BulletinCorrection) -> dict:
    return {
        "id": correction.id,
        "recorded_at": clock.isoformat(correction.recorded_at),
        "recorded_by": correction.recorded_by.display_name if correction.recorded_by else None,
        "note": correction.note,
        "changes": correction.changes,
    }


def publish(month: str, *, actor, now: datetime) -> Bulletin:
    """Compute ``month`` as of ``now`` and store it as published. Once per month."""
    month = monthly.parse_month(month, now=now)
    if get_published(month) is not None:
        raise _already(month)
    doc = monthly.compute(month, now=now)
    if not doc["period"]["complete"]:
        raise Conflict(
            f"{month} is not over yet; publish it once it has ended.",
            message_zh=f"{monthly.month_label(month)}尚未结束，月份结束后才能发布通报。",
            code="month_not_over",
        )
    doc["published"] = True
    doc["published_at"] = clock.isoformat(now)
    bulletin = Bulletin(
        month=month,
        title=doc["title"],
        document=doc,
        computed_at=now,
        published_at=now,
        published_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(bulletin)
    except IntegrityError:  # published at the same moment by someone else
        raise _already(month) from None
    record(
        actor=actor,
        action="bulletin.publish",
        object_type="bulletin",
        object_id=month,
        now=now,
        data={"month": month, "units": len(doc["units"]), "received": doc["centre"]["received"]},
    )
    return bulletin


def _already(month: str) -> Conflict:
    return Conflict(
        f"The bulletin of {month} is already published; record corrections instead.",
        message_zh=f"{monthly.month_label(month)}通报已发布，不能重新发布；数据如有变化请登记更正。",
        code="already_published",
    )


def _values(doc: dict) -> dict[tuple[str, str, str], object]:
    """Every compared figure of a document: (scope, code, key) → value."""
    values: dict[tuple[str, str, str], object] = {}
    for scope, key, _label, _kind in compared():
        if scope == "unit":
            for unit in doc["units"]:
                values[("unit", unit["code"], key)] = unit.get(key)
        else:
            values[(scope, "", key)] = doc[scope].get(key)
    return values


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and round(a, 6) == round(b, 6)
    return a == b


def shown_values(bulletin: Bulletin) -> dict:
    """What the bulletin shows now: as published, with each correction applied in order."""
    values = _values(bulletin.document)
    for correction in bulletin.corrections:
        for change in correction.changes:
            values[(change["scope"], change["code"], change["key"])] = change["now"]
    return values


def differences(bulletin: Bulletin, fresh: dict) -> list[dict]:
    """The figures of ``fresh`` that differ from what ``bulletin`` shows, in print order."""
    shown = shown_values(bulletin)
    names = {u["code"]: u["name"] for u in bulletin.document["units"]} | {u["code"]: u["name"] for u in fresh["units"]}
    labels = {(scope, key): (label, kind) for scope, key, label, kind in compared()}
    changes = []
    for (scope, code, key), now_value in _values(fresh).items():
        was = shown.get((scope, code, key))
        if (scope, code, key) not in shown and not now_value:
            continue  # a unit the bulletin did not list, with nothing to show for it
        if _same(was, now_value):
            continue
        label, kind = labels[(scope, key)]
        changes.append(
            {
                "scope": scope,
                "code": code,
                "name": names.get(code) or SCOPE_NAMES[scope],
                "key": key,
                "label": label,
                "kind": kind,
                "was": was,
                "now": now_value,
            }
        )
    return changes


def record_corrections(bulletin: Bulletin, *, actor, now: datetime, note: str | None = None):
    """Compare the bulletin with its month computed now; record the differences as one
    dated correction. Returns the correction, or None when nothing changed."""
    fresh = monthly.compute(bulletin.month, now=now)
    changes = differences(bulletin, fresh)
    correction = None
    if changes:
        correction = BulletinCorrection(
            bulletin_id=bulletin.id,
            sequence=len(bulletin.corrections) + 1,
            recorded_at=now,
            recorded_by_id=getattr(actor, "id", None),
            note=note,
            changes=changes,
        )
        try:
            with db.session.begin_nested():
                db.session.add(correction)
        except IntegrityError:  # the same differences recorded at the same moment by another check
            raise Conflict(
                "Corrections were recorded meanwhile by someone else; reload.",
                message_zh="更正刚刚已由他人登记，请刷新后查看。",
                code="correction_recorded",
            ) from None
        db.session.expire(bulletin, ["corrections"])
    record(
        actor=actor,
        action="bulletin.correct" if changes else "bulletin.check",
        object_type="bulletin",
        object_id=bulletin.month,
        now=now,
        data={"month": bulletin.month, "changes": len(changes), "correction_id": correction.id if correction else None},
    )
    return correction


def check_published() -> int:
    """Periodic job: record the corrections of the bulletins of the last twelve months.
    Safe to run twice: a second run finds nothing new to record."""
    now = clock.now()
    oldest = monthly.shift_month(clock.local(now).strftime("%Y-%m"), -RECENT_MONTHS)
    recorded = 0
    for month in db.session.scalars(select(Bulletin.month).where(Bulletin.month >= oldest).order_by(Bulletin.month)):
        bulletin = get_published(month)
        try:
            if record_corrections(bulletin, actor=None, now=now, note="定期核对") is not None:
                recorded += 1
        except Conflict:  # another copy of the job recorded it
            db.session.rollback()
            continue
        db.session.commit()
    if recorded:
        log.info("bulletin corrections recorded for %d month(s)", recorded)
    return recorded
