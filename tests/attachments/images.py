"""Test files made on the fly: a JPEG with a GPS location in its EXIF, a PNG, a PDF."""

from __future__ import annotations

import io

from PIL import Image

GPS = {1: "N", 2: (22.0, 30.0, 15.0), 3: "E", 4: (113.0, 5.0, 30.0)}


def jpeg_with_location(size=(640, 480), color=(180, 40, 40)) -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def png(size=(200, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 200, 128)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))
