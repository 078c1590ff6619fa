"""Attachments (附件): photos and PDFs on tickets, and links to media held elsewhere.

- ``models``: :class:`Attachment` (the row; the bytes live in the storage);
- ``storage``: the one storage interface (:class:`Storage`) and its default, a folder under
  the data directory (``HOTLINE_ATTACHMENT_STORAGE`` names another backend);
- ``content``: what a file is, from its bytes (JPEG, PNG, WebP, PDF), the copy shown with
  its metadata (EXIF, GPS) stripped, and the thumbnail;
- ``services``: :func:`attach_upload` and :func:`attach_link`, the only writers (audited);
- ``permissions``: who adds, who sees the original (same visibility as the ticket);
- ``views`` (``/api/v1``); the pages' forms and files are ``hotline.web.attachments``.
"""

from __future__ import annotations


def init_app(app) -> None:
    """Register the attachments' API (from ``create_app``; the pages are in ``hotline.web``)."""
    from ..core.wiring import register_api
    from . import views

    register_api(app, views.bp)
