"""Operations: what admins need to see about the background machinery (failed jobs)."""

from __future__ import annotations


def init_app(app) -> None:
    """Connect the receivers (called by create_app)."""
    from . import receivers

    receivers.connect()
