"""The attachments' API: list a ticket's attachments, upload one (multipart), fetch the bytes."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from ..api.auth import actor, require, token_required
from ..api.helpers import ok, query
from ..api.ids import path_id
from ..api.openapi import doc
from ..core import clock
from ..core.bodies import accepts_uploads
from ..core.errors import InvalidInput
from ..extensions import db
from ..tickets import queries as ticket_queries
from . import permissions, queries, serve, services
from .schemas import AttachmentListOut, AttachmentOut, ContentQuery, attachment_out

bp = Blueprint("attachments_api", __name__, url_prefix="/api/v1")
TAGS = ["attachments"]


def _api_url(attachment, variant: str) -> str:
    return url_for("attachments_api.content", attachment_id=attachment.id, variant=variant)


@bp.get("/tickets/<number>/attachments")
@doc(
    summary="A ticket's attachments (photos, PDFs, links)",
    tags=TAGS,
    response=AttachmentListOut,
    roles="whoever sees the ticket (another unit's ticket is a 404)",
)
@token_required
def list_attachments(number):
    ticket = ticket_queries.get_visible(actor(), number)
    items = [attachment_out(a, actor(), url_for=_api_url) for a in queries.for_ticket(ticket)]
    return ok(AttachmentListOut(attachments=items))


@bp.post("/tickets/<number>/attachments")
@doc(
    summary="Add a photo (JPEG, PNG, WebP) or a PDF to a ticket (multipart/form-data, field file)",
    tags=TAGS,
    response=AttachmentOut,
    status=201,
    upload={"file": "the image or PDF; its type is judged from its content, its size limited"},
    roles="operator, dispatcher, supervisor; staff of the lead or an assisting unit",
    description="Refused with 422 (field file): not an accepted type, over the size limit, damaged. "
    "An image's copy shown to others has its EXIF metadata (GPS location included) removed.",
)
@token_required
@accepts_uploads
def upload(number):
    user = actor()
    ticket = ticket_queries.get_visible(user, number)
    require(permissions.can_add(user, ticket))
    file = request.files.get("file")
    if file is None or (not file.filename and not file.content_length):
        raise InvalidInput("Send the file in the multipart field 'file'.", message_zh="请选择文件。", field="file")
    attachment = services.attach_upload(ticket, file.stream, file.filename, actor=user, now=clock.now())
    db.session.commit()
    return ok(attachment_out(attachment, user, url_for=_api_url), 201)


@bp.get("/attachments/<attachment_id>/content")
@doc(
    summary="An attachment's bytes: the copy shown (metadata removed), its thumbnail, or the original",
    tags=TAGS,
    query=ContentQuery,
    produces=("image/jpeg", "image/png", "image/webp", "application/pdf"),
    roles="whoever sees the ticket; the original: operators and supervisors",
)
@token_required
def content(attachment_id):
    params = query(ContentQuery)
    attachment, _ticket = queries.get_visible(actor(), path_id(attachment_id, "attachment", "附件"))
    return serve.send(attachment, params.variant, actor())
