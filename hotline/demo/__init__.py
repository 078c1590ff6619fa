"""Demo data: a small city written by this project, for trying the product locally."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the ``demo`` commands (from ``create_app``). The other domains add their
    sections to ``demo seed`` with ``wiring.register_demo_section``."""
    from ..core.wiring import register_cli
    from .cli import demo_cli

    register_cli(app, demo_cli)
