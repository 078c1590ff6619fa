"""Bulletins API: /api/v1/reports/bulletins (list, preview, publish, get, corrections)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..api.auth import actor, require, token_required
from ..api.helpers import body, ok, query
from ..api.openapi import doc
from ..core import clock
from ..extensions import db
from . import bulletin_schemas as schemas
from . import bulletins, cli, monthly, permissions

bp = Blueprint("bulletins_api", __name__, url_prefix="/api/v1/reports/bulletins")
TAGS = ["reports"]
READERS = "supervisor, admin, unit staff (published bulletins only)"
_NO_ACCESS = ("Your role does not read the bulletins.", "您的角色无权查看运行情况通报。")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def send(document: dict, fmt: str) -> Response:
    """The document as JSON, or as a downloaded Excel or HTML file."""
    if fmt == "json":
        return ok(document)
    data = cli.render(document, fmt)
    kind = "" if document["published"] else "-preview"
    response = Response(data, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="bulletin-{document["month"]}{kind}.{fmt}"'
    return response


@bp.get("")
@doc(summary="Published monthly bulletins (运行情况通报)", tags=TAGS, response=schemas.BulletinListOut, roles=READERS)
@token_required
def list_bulletins():
    require(permissions.can_read_bulletins(actor()), *_NO_ACCESS)
    return ok(schemas.BulletinListOut(items=[schemas.summary_out(b) for b in bulletins.list_published()]))


@bp.get("/<month>")
@doc(
    summary="One published bulletin, with its dated corrections",
    tags=TAGS,
    query=schemas.FormatQuery,
    response=schemas.BulletinDocumentOut,
    roles=READERS + "; a month not published is 404",
    description="format=json (default), xlsx or html. The figures are as published; later changes are in "
    "`corrections`.",
)
@token_required
def get_bulletin(month):
    require(permissions.can_read_bulletins(actor()), *_NO_ACCESS)
    params = query(schemas.FormatQuery)
    month = monthly.parse_month(month, now=clock.now())
    return send(bulletins.for_reader(bulletins.document(bulletins.get_published_or_404(month)), actor()), params.format)


@bp.get("/<month>/preview")
@doc(
    summary="Preview a month's bulletin: computed now, not stored",
    tags=TAGS,
    query=schemas.FormatQuery,
    response=schemas.BulletinDocumentOut,
    roles="supervisor, admin",
    description="A month not yet over is computed up to now.",
)
@token_required
def preview(month):
    require(
        permissions.can_preview_bulletin(actor()),
        "Only supervisors and admins preview.",
        "只有督办人员和管理员可以预览通报。",
    )
    params = query(schemas.FormatQuery)
    return send(bulletins.preview(month, now=clock.now()), params.format)


@bp.post("/<month>/publish")
@doc(
    summary="Publish a month's bulletin: its figures are stored and frozen",
    tags=TAGS,
    response=schemas.BulletinDocumentOut,
    status=201,
    roles="supervisor",
    description="Once per month, after the month is over (409 otherwise).",
)
@token_required
def publish(month):
    user = actor()
    require(permissions.can_publish_bulletin(user), "Only supervisors publish bulletins.", "只有督办人员可以发布通报。")
    bulletin = bulletins.publish(month, actor=user, now=clock.now())
    db.session.commit()
    return ok(bulletins.document(bulletin), 201)


@bp.get("/<month>/corrections")
@doc(
    summary="The dated corrections (更正) of a published bulletin",
    tags=TAGS,
    response=schemas.CorrectionListOut,
    roles=READERS,
)
@token_required
def list_corrections(month):
    require(permissions.can_read_bulletins(actor()), *_NO_ACCESS)
    bulletin = bulletins.get_published_or_404(monthly.parse_month(month, now=clock.now()))
    items = [schemas.CorrectionOut(**bulletins.correction_out(c)) for c in bulletin.corrections]
    return ok(schemas.CorrectionListOut(month=bulletin.month, items=items))


@bp.post("/<month>/corrections")
@doc(
    summary="Compare a published bulletin with its month computed now; record the differences",
    tags=TAGS,
    body=schemas.CorrectionIn,
    response=schemas.CorrectionResultOut,
    status=201,
    roles="supervisor",
    description="201 with the correction when figures changed; 200 with null when nothing changed.",
    body_required=False,
    also_status=(200,),
)
@token_required
def record_corrections(month):
    user = actor()
    require(
        permissions.can_record_corrections(user), "Only supervisors record corrections.", "只有督办人员可以登记更正。"
    )
    data = body(schemas.CorrectionIn, allow_empty=True)
    bulletin = bulletins.get_published_or_404(monthly.parse_month(month, now=clock.now()))
    correction = bulletins.record_corrections(bulletin, actor=user, now=clock.now(), note=data.note)
    db.session.commit()
    out = schemas.CorrectionOut(**bulletins.correction_out(correction)) if correction else None
    return ok(schemas.CorrectionResultOut(correction=out), 201 if correction else 200)
