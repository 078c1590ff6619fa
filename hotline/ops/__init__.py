"""Operations: what admins need to see about the background machinery (failed jobs)."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the failed-jobs API and the ``jobs`` commands, connect the receivers (from ``create_app``)."""
    from ..core.wiring import register_api, register_cli
    from . import receivers
    from .cli import backup_command, jobs_cli, restore_command
    from .views import bp

    register_api(app, bp)
    register_cli(app, jobs_cli, backup_command, restore_command)
    receivers.connect()
