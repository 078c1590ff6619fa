"""`flask --app wsgi jobs failed`: failed background jobs for operators of the system."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import clock

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("failed")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
def failed_command(limit):
    """List failed jobs: rq's failed registry (with Redis) and inline failures."""
    from .queries import failed_jobs

    items = failed_jobs(limit)
    for f in items:
        click.echo(f"{clock.isoformat(f.failed_at)}\t{f.source}\t{f.queue}\t{f.id}\t{f.path}{tuple(f.args)}\t{f.error}")
    click.echo(f"{len(items)} failed job(s)")
