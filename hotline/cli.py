"""The platform's commands: `flask --app wsgi worker` and `scheduler`.

Each domain registers its own command group in its ``init_app`` (``users``, ``demo``,
``sla``, ``kb``...).
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .core.wiring import register_cli


@click.command("worker")
@with_appcontext
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", help="Worker name (defaults to rq's).")
def worker_command(queues, burst, name):
    """Run an rq worker on QUEUES (default: all). Needs HOTLINE_REDIS_URL."""
    from workers.run import run_worker  # imported only when a worker starts

    run_worker(current_app._get_current_object(), queues, burst=burst, name=name)


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Enqueue what is due now and exit.")
def scheduler_command(once):
    """Enqueue the periodic jobs (the deadline sweep every minute). Needs HOTLINE_REDIS_URL."""
    from workers.run import run_scheduler_command  # imported only when the scheduler starts

    run_scheduler_command(current_app._get_current_object(), once=once)


def register(app: Flask) -> None:
    register_cli(app, worker_command, scheduler_command)
