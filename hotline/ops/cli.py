"""`flask --app wsgi jobs failed`: failed background jobs for operators of the system."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

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


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(file_okay=False))
def backup_command(dest):
    """Write a consistent copy of the database into the new directory DEST (while running)."""
    from .backup import backup

    manifest = _or_click_error(lambda: backup(Path(dest)))
    click.echo(f"backed up {_summary(manifest)} into {dest}")


@click.command("restore")
@with_appcontext
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask: the database's contents are replaced.")
def restore_command(src, yes):
    """Replace the database with the backup in SRC, then rebuild the search index."""
    from knowledge_base.cli import rebuild

    from .backup import read_manifest, restore

    manifest = _or_click_error(lambda: read_manifest(Path(src)))
    if not yes:
        click.confirm(
            f"Replace this database with the backup of {manifest.made_at} ({_summary(manifest)})?", abort=True
        )
    _or_click_error(lambda: restore(Path(src)))
    count = rebuild(progress=False)
    click.echo(f"restored {_summary(manifest)}; indexed {count} articles")


def _summary(manifest) -> str:
    return (
        f"{manifest.tickets} tickets, {manifest.events} events, {manifest.articles} articles, "
        f"{manifest.attachment_files} attachment files"
    )


def _or_click_error(step):
    from ..core.errors import DomainError

    try:
        return step()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
