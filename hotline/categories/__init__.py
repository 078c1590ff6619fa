"""Request categories (诉求分类): a two-level tree, e.g. 社会保障 → 养老保险."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the categories and request-types API (from ``create_app``)."""
    from ..core.wiring import register_api
    from .views import bp

    register_api(app, bp)
