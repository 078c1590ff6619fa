"""Photos on tickets (hotline/attachments): the type from the content, the size limit, the
location stripped from the copy shown, the original for operators and supervisors only, the
ticket's visibility (another unit's attachment is a 404), thumbnails, audit, backup."""

from __future__ import annotations

import io
import json

from PIL import Image
from sqlalchemy import func, select

from hotline.attachments.models import Attachment
from hotline.attachments.storage import get_storage
from hotline.audit.models import AuditEvent
from hotline.extensions import db

from .images import PDF, gps_of, jpeg_with_location, png


def _upload(client, number, data: bytes, name: str):
    return client.post(f"/api/v1/tickets/{number}/attachments", data={"file": (io.BytesIO(data), name)})


def _signed_in(app, username):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": "password-123"})
    assert r.status_code == 302
    return client


def _huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")
    return out.getvalue()


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attachment))


def test_a_photo_is_shown_without_its_location_and_only_to_whoever_sees_the_ticket(world, app):
    number = world.ticket("accepted", lead="DEPT-A", assists=["DEPT-C"])
    photo = jpeg_with_location()
    assert gps_of(photo)  # the test file does carry a location
    r = _upload(world.client("staff_a"), number, photo, "路面修复.jpg")
    assert r.status_code == 201, r.get_json()
    a = r.get_json()
    assert a["media_type"] == "image/jpeg" and a["location_removed"] is True and a["size"] == len(photo)
    assert a["original_url"] is None and a["thumbnail_url"] and (a["width"], a["height"]) == (640, 480)

    # The copy shown, to the unit: no EXIF at all, so no GPS; the same pixels' size.
    shown = world.client("staff_c").get(a["content_url"])
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert b"Exif" not in shown.data and gps_of(shown.data) == {}
    assert Image.open(io.BytesIO(shown.data)).size == (640, 480)
    assert shown.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # The original, with its location: operators and supervisors only.
    assert world.client("staff_a").get(a["content_url"].replace("shown", "original")).status_code == 403
    listed = world.client("operator").get(f"/api/v1/tickets/{number}/attachments").get_json()["attachments"]
    original = world.client("operator").get(listed[0]["original_url"])
    assert original.status_code == 200 and original.data == photo and gps_of(original.data)
    thumb = world.client("supervisor").get(listed[0]["thumbnail_url"])
    assert thumb.mimetype == "image/jpeg" and max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    assert b"Exif" not in thumb.data

    # Another unit: its list, its bytes, its page file are all 404, as the ticket is.
    assert world.client("staff_b").get(f"/api/v1/tickets/{number}/attachments").status_code == 404
    assert world.client("staff_b").get(a["content_url"]).status_code == 404
    assert _upload(world.client("staff_b"), number, photo, "x.jpg").status_code == 404
    assert world.client("kb_editor").get(a["content_url"]).status_code == 404
    other = _signed_in(app, "staff_b")
    assert other.get(f"/attachments/{a['id']}/shown").status_code == 404
    assert other.get(f"/attachments/{a['id']}/thumbnail").status_code == 404

    # Audited; shown as a thumbnail in the list and on the ticket's page.
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attachment.add"))
        assert event.object_id == str(a["id"]) and event.data["ticket"] == number and event.data["had_location"]
    operator = _signed_in(app, "operator")
    listing = operator.get("/tickets").get_data(as_text=True)
    assert f'src="/attachments/{a["id"]}/thumbnail"' in listing and "附件 1" in listing
    page = operator.get(f"/tickets/{number}").get_data(as_text=True)
    assert "路面修复.jpg" in page and "已去除位置信息" in page and "原图（含位置）" in page
    unit_page = _signed_in(app, "staff_a").get(f"/tickets/{number}").get_data(as_text=True)
    assert "已去除位置信息" in unit_page and "原图（含位置）" not in unit_page
    assert unit_page.count(f"/attachments/{a['id']}/original") == 0


def test_bad_files_are_refused_with_the_field_and_nothing_is_stored(world, app):
    number = world.ticket("dispatched", lead="DEPT-A")
    client = world.client("operator")
    cases = [
        (b"MZ\x90\x00 this is a program, not a photo" * 10, "photo.jpg", "unsupported_type"),
        (b"<html><script>alert(1)</script></html>", "image.png", "unsupported_type"),
        (jpeg_with_location()[:300], "cut.jpg", "invalid_attachment"),  # starts like a JPEG, is not one
        (b"%PDF-1.4 no end", "doc.pdf", "invalid_attachment"),
        (b"", "empty.jpg", "invalid_attachment"),
        (_huge_png(), "bomb.png", "invalid_attachment"),  # 81 million pixels in a few kilobytes
    ]
    for data, name, code in cases:
        r = _upload(client, number, data, name)
        assert r.status_code == 422, (name, r.get_json())
        assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["field"] == "file", name
    app.config["ATTACHMENT_MAX_BYTES"] = 20_000
    big = jpeg_with_location(size=(1600, 1200))
    assert len(big) > 20_000
    r = _upload(client, number, big, "big.jpg")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "attachment_too_large"
    assert "MB" in r.get_json()["error"]["message_zh"]
    r = client.post(f"/api/v1/tickets/{number}/attachments", data={})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "file"
    assert _count(app) == 0
    with app.app_context():
        assert list(get_storage().list_keys()) == []
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "attachment.add")) == 0

    # On the page: the message names the file, in Chinese, and nothing is stored.
    page = _signed_in(app, "operator").post(
        f"/tickets/{number}/attachments", data={"photos": (io.BytesIO(b"GIF89a not accepted"), "动图.gif")}
    )
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "动图.gif：只接受 JPEG、PNG、WebP 图片或 PDF 文件" in text
    assert _count(app) == 0


def test_a_unit_replies_with_photos_and_pdfs_are_downloads(world, app):
    number = world.ticket("accepted", lead="DEPT-A")
    unit = _signed_in(app, "staff_a")
    r = unit.post(
        f"/tickets/{number}/reply",
        data={
            "content": "路面已修复，附现场照片。",
            "confirm_warnings": "true",
            "photos": [(io.BytesIO(jpeg_with_location()), "修复后.jpg"), (io.BytesIO(png()), "示意.png")],
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    with app.app_context():
        rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.source, a.media_type) for a in rows] == [("reply", "image/jpeg"), ("reply", "image/png")]
        assert all(a.reply_id is not None and a.added_by_unit_id is not None for a in rows)
    # A reply refused (empty) stores no photo either.
    number2 = world.ticket("accepted", lead="DEPT-A")
    r = unit.post(f"/tickets/{number2}/reply", data={"content": "", "photos": [(io.BytesIO(png()), "a.png")]})
    assert r.status_code == 422 and _count(app) == 2
    # An operator adds a PDF on the page; it is served as a download.
    operator = _signed_in(app, "operator")
    r = operator.post(f"/tickets/{number}/attachments", data={"photos": [(io.BytesIO(PDF), "现场记录.pdf")]})
    assert r.status_code == 303
    with app.app_context():
        pdf = db.session.scalar(select(Attachment).where(Attachment.media_type == "application/pdf"))
    got = operator.get(f"/attachments/{pdf.id}/shown")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert operator.get(f"/attachments/{pdf.id}/thumbnail").status_code == 404
    assert operator.get(f"/attachments/{pdf.id}/other").status_code == 404
    assert operator.get(f"/attachments/{2**63}/shown").status_code == 404  # no id that large, on any database


def test_attachment_files_are_in_the_backup_and_come_back_on_restore(world, app, tmp_path):
    number = world.ticket("dispatched", lead="DEPT-A")
    photo = jpeg_with_location()
    assert _upload(world.client("operator"), number, photo, "a.jpg").status_code == 201
    r = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["attachment_files"] == 3  # original, shown copy, thumbnail
    with app.app_context():
        storage = get_storage()
        keys = list(storage.list_keys())
        for key in keys:
            (storage.root / key).unlink()
    r = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk"), "--yes"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert sorted(get_storage().list_keys()) == sorted(keys)
        a = db.session.scalar(select(Attachment))
        assert get_storage().get(a.original_key) == photo
