"""The bulletin's pages: the list (with the month to preview and the publish button) and
the A4 page of one month, its charts (SVG, drawn on the server) and its downloads.

A published month shows its frozen figures and its corrections, to supervisors, admins
and every unit's staff; a month not published is a preview for supervisors and admins
only (404 for unit staff: they see published bulletins only).
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..core import clock
from ..core.errors import DomainError, NotFound
from ..core.validation import validate
from ..extensions import db
from ..web.helpers import role_required
from . import bulletin_schemas, bulletin_views, bulletins, charts, monthly, permissions, render_html

bp = Blueprint("web_bulletins", __name__)
PREVIEW_SECONDS = 120  # a preview's charts reuse its document for this long
_previews: dict[str, tuple[float, dict]] = {}
_previews_lock = threading.Lock()


def _month(value: str) -> str:
    try:
        return monthly.parse_month(value, now=clock.now())
    except DomainError as exc:
        raise NotFound(exc.message, message_zh=exc.message_zh) from None


def _preview(month: str, *, fresh: bool = False) -> dict:
    """The month computed now, kept briefly so that the page's charts do not compute it again."""
    key = f"{db.engine.url}|{month}"
    with _previews_lock:
        kept = _previews.get(key)
    if kept and not fresh and time.monotonic() - kept[0] < PREVIEW_SECONDS:
        return kept[1]
    doc = bulletins.preview(month, now=clock.now())
    with _previews_lock:
        _previews[key] = (time.monotonic(), doc)
    return doc


def _document(month: str, *, fresh: bool = False) -> dict:
    """The published bulletin, or (supervisors and admins) the preview; else 404."""
    published = bulletins.get_published(month)
    if published is not None:
        return bulletins.document(published)
    if not permissions.can_preview_bulletin(current_user):
        raise NotFound(f"No bulletin published for {month}.", message_zh=f"{month} 的通报尚未发布。")
    return _preview(month, fresh=fresh)


@bp.get("/reports/bulletins")
@role_required(permissions.can_read_bulletins)
def list_bulletins():
    wanted = request.args.get("month", "").strip()
    if wanted and permissions.can_preview_bulletin(current_user):
        try:
            return redirect(url_for("web_bulletins.show", month=monthly.parse_month(wanted, now=clock.now())))
        except DomainError as exc:
            flash(exc.message_zh, "error")
    now = clock.now()
    return render_template(
        "reports/bulletins.html",
        items=bulletins.list_published(),
        default_month=monthly.shift_month(clock.local(now).strftime("%Y-%m"), -1),
        can_preview=permissions.can_preview_bulletin(current_user),
    )


@bp.get("/reports/bulletins/<month>")
@role_required(permissions.can_read_bulletins)
def show(month):
    month = _month(month)
    doc = _document(month, fresh=True)
    return render_template(
        "reports/bulletin.html",
        can_publish=not doc["published"] and permissions.can_publish_bulletin(current_user),
        can_correct=doc["published"] and permissions.can_record_corrections(current_user),
        **render_html.context(doc, lambda name: url_for("web_bulletins.chart", month=month, chart=name)),
    )


@bp.get("/reports/bulletins/<month>/charts/<chart>.svg")
@role_required(permissions.can_read_bulletins)
def chart(month, chart):
    if chart not in charts.CHARTS:
        abort(404)
    svg = charts.draw(chart, _document(_month(month)))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/reports/bulletins/<month>/export")
@role_required(permissions.can_read_bulletins)
def export(month):
    fmt = request.args.get("format", "xlsx")
    if fmt not in bulletin_views.MIMETYPES and fmt != "json":
        abort(404)
    response = bulletin_views.send(_document(_month(month)), fmt)
    if fmt == "json":
        response.headers["Content-Disposition"] = f'attachment; filename="bulletin-{month}.json"'
    return response


@bp.post("/reports/bulletins/<month>/publish")
@role_required(permissions.can_publish_bulletin)
def publish(month):
    month = _month(month)
    try:
        bulletins.publish(month, actor=current_user, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(f"发布失败：{exc.message_zh}", "error")
        return redirect(url_for("web_bulletins.show", month=month), 303)
    flash(f"{monthly.month_label(month)}通报已发布，数据已固定；此后的变化将以更正形式登记。", "success")
    return redirect(url_for("web_bulletins.show", month=month), 303)


@bp.post("/reports/bulletins/<month>/corrections")
@role_required(permissions.can_record_corrections)
def record_corrections(month):
    month = _month(month)
    bulletin = bulletins.get_published_or_404(month)
    try:
        note = (request.form.get("note") or "").strip()
        note = validate(bulletin_schemas.CorrectionIn, {"note": note}).note if note else None
        correction = bulletins.record_corrections(bulletin, actor=current_user, now=clock.now(), note=note)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(f"核对失败：{exc.message_zh}", "error")
        return redirect(url_for("web_bulletins.show", month=month), 303)
    if correction is None:
        flash("已核对：发布后数据没有变化，无需更正。", "success")
    else:
        flash(f"已登记更正，共 {len(correction.changes)} 项数据变化。", "success")
    return redirect(url_for("web_bulletins.show", month=month) + "#corrections", 303)
