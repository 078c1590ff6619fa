"""Work queue pages (待办), their counts for the menu, and the Excel exports of every list.

- ``/queues``: the role's first queue (each role's start page); ``/queues/<key>`` one queue,
  filtered and ordered like the ticket list; ``/queues/<key>/export.xlsx`` its Excel;
- ``/tickets/export.xlsx``: the ticket list's Excel, with the list's filters;
- ``/ui/queues/counts``: the menu's counts as JSON (the pages' script refreshes them).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..categories import queries as category_queries
from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db
from ..tickets import listing
from ..tickets import queries as ticket_queries
from ..tickets.models import REQUEST_TYPE_LABELS, URGENCY_LABELS
from ..tickets.states import STATUS_LABELS
from ..units import queries as unit_queries
from ..units.models import Level
from ..web.helpers import role_required
from . import export, permissions, queries, rows
from .definitions import DEADLINES, EXTENSIONS, NOTICES, QUEUES, queues_for

bp = Blueprint("web_queues", __name__)
log = logging.getLogger(__name__)

PER_PAGE = 25


def queue_tabs() -> list[dict]:
    """The signed-in user's queues with their counts (the menu's second line)."""
    if not current_user.is_authenticated:
        return []
    mine = queues_for(current_user)
    if not mine:
        return []
    try:
        counts = queries.counts(mine, current_user, clock.now())
    except SQLAlchemyError:  # e.g. the error page of a failed transaction: the page, without counts
        log.warning("queue counts unavailable", exc_info=True)
        return []
    return [
        {"key": q.key, "label": q.label, "count": counts[q.key], "url": url_for("web_queues.show", key=q.key)}
        for q in mine
    ]


def _params():
    """The filters of the query string, or a redirect to the unfiltered page with the reason."""
    try:
        return listing.parse(request.args)
    except InvalidInput as exc:
        flash(f"筛选条件有误：{exc.message_zh}", "error")
        return None


def filter_choices() -> dict:
    units = unit_queries.list_units()
    categories = category_queries.list_categories()
    return {
        "units": units,
        "areas": [u for u in units if u.level in (Level.DISTRICT, Level.TOWN)],
        "categories": categories,
        "sorts": listing.SORTS,
        "filter_labels": {
            "status": {k.value: v for k, v in STATUS_LABELS.items()},
            "request_type": {k.value: v for k, v in REQUEST_TYPE_LABELS.items()},
            "urgency": {k.value: v for k, v in URGENCY_LABELS.items()},
        },
    }


def _queue_or_404(key: str):
    queue = QUEUES.get(key)
    if queue is None:
        abort(404)
    if not permissions.can_open(current_user, queue):
        abort(403)
    return queue


@bp.get("/queues")
@role_required(permissions.can_use_queues)
def start():
    return redirect(url_for("web_queues.show", key=queues_for(current_user)[0].key))


@bp.get("/queues/<key>")
@role_required(permissions.can_use_queues)
def show(key):
    queue = _queue_or_404(key)
    params = _params()
    if params is None:
        return redirect(url_for("web_queues.show", key=key))
    now = clock.now()
    clauses = listing.where(params, listing.resolve(params), now)
    page = queries.page(
        queue, current_user, now, clauses=clauses, sort=params.sort, number=params.page, per_page=PER_PAGE
    )
    page_rows = rows.queue_rows(queue, page.items, current_user, now)
    if queue.key == "dispatch":  # probable duplicates as one line each, dispatched together
        page_rows = rows.fold_duplicates(page_rows, [t for _, t in page.items], now)
    return render_template(
        "queues/queue.html",
        queue=queue,
        page=page,
        rows=page_rows,
        params=params,
        export_url=url_for("web_queues.export_queue", key=key, **request.args),
        now=now,
        **(filter_choices() | {"sorts": {**listing.SORTS, "newest": "默认顺序"}}),
    )


def _download(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=export.XLSX)
    ascii_name = "hotline-export.xlsx"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def _filters_text(params) -> str:
    """The filters in words, for the sheet's second line."""
    parts = []
    labels = filter_choices()["filter_labels"]
    if params.q:
        parts.append(f"搜索“{params.q}”")
    if params.status:
        parts.append(f"状态：{labels['status'][params.status]}")
    if params.type:
        parts.append(f"诉求类型：{labels['request_type'][params.type]}")
    if params.urgency:
        parts.append(f"紧急程度：{labels['urgency'][params.urgency]}")
    for field, getter in (("unit", unit_queries.get_by_code), ("area", unit_queries.get_by_code)):
        code = getattr(params, field)
        if code:
            found = getter(code)
            parts.append(f"{listing.FIELD_LABELS[field]}：{found.name if found else code}")
    if params.category:
        found = category_queries.get_by_code(params.category)
        parts.append(f"分类：{found.full_name if found else params.category}")
    if params.date_from or params.date_to:
        parts.append(f"登记日期：{params.date_from or '不限'} 至 {params.date_to or '不限'}")
    if params.overdue:
        parts.append("仅已超时")
    parts.append(f"排序：{listing.SORTS[params.sort]}")
    return "，".join(parts)


@bp.get("/queues/<key>/export.xlsx")
@role_required(permissions.can_use_queues)
def export_queue(key):
    queue = _queue_or_404(key)
    params = _params()
    if params is None:
        return redirect(url_for("web_queues.show", key=key))
    now = clock.now()
    clauses = listing.where(params, listing.resolve(params), now)
    found = queries.statement(queue, current_user, now, clauses)
    total = queries.count(queue, current_user, now, clauses)
    ordered = found.stmt.order_by(*queries.order_for(queue, found, params.sort))

    def fetch(offset, limit):
        pairs = queries.rows_of(queue, ordered.limit(limit).offset(offset))
        return rows.queue_rows(queue, pairs, current_user, now)

    note = {EXTENSIONS: "延期申请", NOTICES: "整改通知书", DEADLINES: "时限单位"}.get(queue.kind)
    if queue.key == "returned":
        note = "退回理由"
    cols = export.columns(rectification=queue.kind == NOTICES, note=note, since=True)
    title = f"待办：{queue.label}"
    content = export.workbook(title, _filters_text(params), cols, export.pages(fetch, total), total=total)
    return _download(content, f"{queue.label}-{clock.local(now):%Y%m%d-%H%M}.xlsx")


@bp.get("/tickets/export.xlsx")
@role_required(permissions.can_export_tickets)
def export_tickets():
    params = _params()
    if params is None:
        return redirect(url_for("web_tickets.list_tickets"))
    now = clock.now()
    clauses = listing.where(params, listing.resolve(params), now)
    stmt = ticket_queries.statement(current_user, q=params.q, clauses=clauses)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    ordered = stmt.options(*queries.TICKET_LOAD).order_by(*listing.order_by(params.sort))

    def fetch(offset, limit):
        tickets = list(db.session.scalars(ordered.limit(limit).offset(offset)).unique())
        return rows.ticket_rows(tickets, current_user, now)

    content = export.workbook(
        "工单列表", _filters_text(params), export.columns(), export.pages(fetch, total), total=total
    )
    return _download(content, f"工单列表-{clock.local(now):%Y%m%d-%H%M}.xlsx")


@bp.get("/ui/queues/counts")
@role_required(permissions.can_use_queues)
def counts():
    """The menu's counts: {"counts": {key: n}, "total": n} (the pages refresh them every 30 s)."""
    tabs = queue_tabs()
    return jsonify(
        {
            "counts": {t["key"]: t["count"] for t in tabs},
            "total": sum(t["count"] for t in tabs),
            "generated_at": clock.isoformat(clock.now()),
        }
    )
