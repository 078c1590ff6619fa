"""Attachments on the ticket page: adding photos (or PDFs), and the files themselves.

The files are served through the ticket's visibility (another unit's attachment is a 404);
the copy shown has its metadata removed, the original is for operators and supervisors.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..attachments import permissions, queries, serve, services
from ..attachments.models import Source
from ..core import clock
from ..core.bodies import accepts_uploads
from ..core.errors import DomainError, Forbidden, InvalidInput
from ..extensions import db
from ..tickets import permissions as ticket_permissions
from ..tickets import queries as ticket_queries
from .helpers import field_errors, role_required

bp = Blueprint("web_attachments", __name__)

# The most files one form sends (the ticket page's photos, a reply's photos).
MAX_FILES_PER_FORM = 5
VARIANTS = ("shown", "thumbnail", "original")


def chosen_files(field: str = "photos") -> list:
    """The files of a multipart form's field that were actually chosen."""
    return [f for f in request.files.getlist(field) if f and (f.filename or f.content_length)]


def attach_form_files(ticket, *, actor, now, source=Source.STAFF.value, reply=None, field="photos") -> int:
    """Store the form's chosen files on ``ticket`` (in the caller's transaction); how many."""
    files = chosen_files(field)
    if len(files) > MAX_FILES_PER_FORM:
        raise InvalidInput(
            f"At most {MAX_FILES_PER_FORM} files at once.",
            message_zh=f"一次最多上传 {MAX_FILES_PER_FORM} 个文件。",
            code="too_many_files",
            field=field,
        )
    for file in files:
        try:
            services.attach_upload(ticket, file.stream, file.filename, actor=actor, now=now, source=source, reply=reply)
        except InvalidInput as exc:
            name = services.clean_filename(file.filename)
            raise InvalidInput(
                exc.message, message_zh=f"{name}：{exc.message_zh}", code=exc.code, field=field
            ) from None
    return len(files)


@bp.post("/tickets/<number>/attachments")
@role_required(ticket_permissions.can_list_tickets)
@accepts_uploads
def add(number):
    from .tickets import render_detail

    ticket = ticket_queries.get_visible(current_user, number)
    try:
        if not permissions.can_add(current_user, ticket):
            raise Forbidden("You may not add attachments to this ticket.", message_zh="您无权为该工单添加附件。")
        if not chosen_files():
            raise InvalidInput("Choose a file.", message_zh="请选择要上传的照片或 PDF 文件。", field="photos")
        count = attach_form_files(ticket, actor=current_user, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(f"未上传。{exc.message_zh}", "error")
        ticket = ticket_queries.get_visible(current_user, number)
        return render_detail(ticket, errors=field_errors(exc), failed_action="attachments", status=exc.status)
    flash(f"已上传 {count} 个附件。", "success")
    return redirect(url_for("web_tickets.show_ticket", number=number) + "#attachments", 303)


@bp.get("/attachments/<int:attachment_id>/<variant>")
@role_required(ticket_permissions.can_list_tickets)
def file(attachment_id, variant):
    if variant not in VARIANTS:
        abort(404)
    attachment, _ticket = queries.get_visible(current_user, attachment_id)
    return serve.send(attachment, variant, current_user)
