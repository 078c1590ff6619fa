"""The holiday calendar (节假日日历): the dates admins enter for years the chinesecalendar
package does not know (or to correct it), which the deadline arithmetic reads first."""

from __future__ import annotations

import calendar as month_grid
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...core import clock
from ...core.errors import DomainError, InvalidInput
from ...core.validation import validate
from ...extensions import db
from ...sla import calendars, permissions, schemas
from ...sla.models import CalendarDay
from . import admin_required, bp, form_values, refused, render

LABELS = {"first": "开始日期", "last": "结束日期", "date": "日期", "is_working": "类型", "note": "说明"}
SOURCE_LABELS = {"admin": "管理员录入", "package": "内置节假日数据", "weekends": "无节假日数据（仅按周末计算）"}


def alerts() -> list[dict]:
    """For the page header (every page of an admin): years a deadline needed that no
    calendar knows, each with the link to enter it. Empty for everyone else."""
    if not (current_user.is_authenticated and permissions.can_manage_calendar(current_user)):
        return []
    return [
        {"year": w.year, "url": url_for("web_admin.calendar", year=w.year)}
        for w, resolved in calendars.warnings()
        if not resolved
    ]


def _year() -> int:
    today = clock.local(clock.now()).date()
    raw = request.args.get("year", "")
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return today.year


def _months(year: int) -> list[dict]:
    """The year as twelve month grids (Monday first), each day with how deadlines count it."""
    days = {d: (working, source) for d, working, source in calendars.year_days(year)}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_grid.Calendar().monthdatescalendar(year, month):
            weeks.append([(d, *days[d]) if d.month == month else None for d in week])
        months.append({"month": month, "weeks": weeks})
    return months


def _page(year: int, *, errors=None, values=None, status=200):
    return render(
        "admin/calendar.html",
        status=status,
        year=year,
        known=calendars.package_knows(year),
        entered=calendars.days(year),
        months=_months(year),
        warnings=calendars.warnings(),
        sources=SOURCE_LABELS,
        errors=errors or {},
        values=values or {},
    )


@bp.get("/calendar", endpoint="calendar")
@admin_required
def show_calendar():
    return _page(_year())


@bp.post("/calendar/days")
@admin_required
def add_days():
    """Enter one date or a run of dates (a holiday of several days) as days off or working days."""
    form = request.form
    year = _year()
    try:
        first = _day(form, "first")
        last = _day(form, "last") if form.get("last", "").strip() else first
        values = form_values(form, ("is_working", "note"), bools=("is_working",))
        values = {k: v for k, v in values.items() if v != ""}
        payload = validate(schemas.CalendarDayIn, {"date": first.isoformat(), **values})
        added = calendars.add_days(
            actor=current_user,
            now=clock.now(),
            first=first,
            last=last,
            is_working=payload.is_working,
            note=payload.note,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(year, errors=refused(exc, LABELS), values=form.to_dict(), status=exc.status)
    kind = "工作日" if payload.is_working else "休息日"
    flash(
        f"已录入 {len(added)} 天{kind}：{first.isoformat()}{' 至 ' + last.isoformat() if last != first else ''}。",
        "success",
    )
    return redirect(url_for("web_admin.calendar", year=first.year), 303)


def _day(form, field: str) -> date:
    raw = form.get(field, "").strip()
    if not raw:
        raise InvalidInput(f"{field} is required.", message_zh="此项必填", field=field)
    try:
        return schemas.parse_day(raw)
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date.", message_zh="应为 2000–2100 年之间的日期（年-月-日）", field=field
        ) from None


@bp.post("/calendar/days/<day>/delete")
@admin_required
def delete_day(day):
    """Delete an entered date (after the page's confirmation): the package or the weekend rule applies again."""
    try:
        parsed = schemas.parse_day(day)
    except ValueError:
        abort(404)
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == parsed))
    if row is None:
        abort(404)
    calendars.delete_day(row, actor=current_user, now=clock.now())
    db.session.commit()
    flash(f"已删除 {parsed.isoformat()} 的录入。", "success")
    return redirect(url_for("web_admin.calendar", year=parsed.year), 303)
