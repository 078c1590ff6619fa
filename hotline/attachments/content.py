"""What an uploaded file is, judged from its bytes, and the copies made of it.

Accepted: JPEG, PNG and WebP images (decoded whole by Pillow: a file that only starts like
an image is refused) and PDF documents (``%PDF-`` header and an ``%%EOF`` trailer). The
name a file was sent with decides nothing.

An image's copy shown to people is re-encoded from its pixels (turned upright first, as its
EXIF orientation says), so no EXIF, XMP or GPS location survives in it; its thumbnail is a
small JPEG made the same way. A PDF is kept and shown as received (served as a download).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import InvalidInput

# Media type → (Pillow's format name, the extension of stored blobs).
IMAGE_TYPES = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"), "image/webp": ("WEBP", "webp")}
PDF = "application/pdf"
TYPE_LABELS = {"image/jpeg": "JPEG 图片", "image/png": "PNG 图片", "image/webp": "WebP 图片", PDF: "PDF 文件"}
EXTENSIONS = {**{t: ext for t, (_, ext) in IMAGE_TYPES.items()}, PDF: "pdf"}
# Larger than any phone camera's photo (a 200-megapixel sensor), far below a decompression bomb.
MAX_PIXELS = 64_000_000
THUMB_SIZE = (320, 320)
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Checked:
    media_type: str
    original: bytes
    shown: bytes  # the copy shown: metadata stripped
    thumb: bytes | None
    width: int | None
    height: int | None
    had_location: bool


def refuse(message: str, message_zh: str, code: str = "invalid_attachment", field: str = "file") -> InvalidInput:
    return InvalidInput(message, message_zh=message_zh, code=code, field=field)


def sniff(data: bytes) -> str | None:
    """The media type the bytes claim by their signature, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def check(data: bytes) -> Checked:
    """Refuse anything but a whole JPEG, PNG, WebP or PDF; make the shown copy and thumbnail."""
    if not data:
        raise refuse("The file is empty.", "文件为空。")
    media_type = sniff(data)
    if media_type is None:
        raise refuse(
            "Only JPEG, PNG or WebP images and PDF files are accepted (judged from the content, not the name).",
            "只接受 JPEG、PNG、WebP 图片或 PDF 文件（按文件内容判断，而非文件名）。",
            code="unsupported_type",
        )
    if media_type == PDF:
        if b"%%EOF" not in data[-1024:]:
            raise refuse("The PDF file is incomplete.", "PDF 文件不完整或已损坏。")
        return Checked(PDF, data, data, None, None, None, False)
    return _check_image(data, media_type)


def _open(data: bytes, fmt: str) -> Image.Image:
    """Decode the whole image, refusing one whose header announces too many pixels before
    any is decoded (Pillow itself refuses a decompression bomb at twice its own limit)."""
    image = Image.open(io.BytesIO(data), formats=[fmt])
    if image.width * image.height > MAX_PIXELS:
        raise refuse("The image has too many pixels.", "图片像素过多。")
    image.load()
    return image


def _check_image(data: bytes, media_type: str) -> Checked:
    fmt, _ = IMAGE_TYPES[media_type]
    try:
        image = _open(data, fmt)
    except InvalidInput:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,  # where warnings are errors
    ) as exc:
        raise refuse(f"The image cannot be read: {exc}", "图片无法识别或已损坏。") from None
    had_location = bool(image.getexif().get_ifd(GPS_IFD))
    upright = ImageOps.exif_transpose(image)
    shown = _encode(upright, fmt, icc=image.info.get("icc_profile"))
    return Checked(media_type, data, shown, _thumbnail(upright), upright.width, upright.height, had_location)


def _encode(image: Image.Image, fmt: str, *, icc: bytes | None) -> bytes:
    """The pixels alone (and the colour profile): no EXIF, XMP or comments."""
    clean = image.copy()
    clean.info = {}
    if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
        clean = clean.convert("RGB")
    options = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    if icc:
        options["icc_profile"] = icc
    out = io.BytesIO()
    clean.save(out, fmt, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.info = {}
    thumb.thumbnail(THUMB_SIZE)
    if thumb.mode not in ("RGB", "L"):
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        rgba = thumb.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()
