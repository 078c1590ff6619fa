"""Screenshots of the pages, for the README and for people to look at.

A test calls ``shot(page, "name.png")`` where the page is worth looking at. The picture is
taken only when ``HOTLINE_SCREENSHOTS`` names a folder (``HOTLINE_SCREENSHOTS=docs/screenshots``
refreshes the README's): a plain test run neither spends the time nor changes the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path


def shot(page, name: str, **options) -> Path | None:
    folder = os.environ.get("HOTLINE_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), **options)
    return path
