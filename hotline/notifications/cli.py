"""`flask --app wsgi notifications ...`: the outbox from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import delivery
from ..core.privacy import mask_address
from . import queries, services

cli = AppGroup("notifications", help="The outbox: list messages, retry failed ones.")


@cli.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed", "recorded"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def list_command(status, limit):
    """List the newest messages (recipients masked)."""
    page = queries.outbox(status=status, per_page=limit)
    for n in page.items:
        click.echo(
            f"{n.id:>7} {n.status:<9} {n.channel:<6} {n.template_code:<24} {n.recipient_label:<16} "
            f"{mask_address(n.address) or '-':<18} attempts={n.attempts} {n.last_error or ''}".rstrip()
        )
    click.echo(f"{page.total} message(s)")


@cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Retry every failed message.")
def retry_command(ids, all_failed):
    """Send failed messages again (by id, or all of them)."""
    if all_failed:
        ids = [n.id for n in queries.outbox(status="failed", per_page=100000).items]
    if not ids:
        raise click.ClickException("give notification ids or --all-failed")
    delivery.redo_from_cli(ids, get=queries.get, redo=services.retry, noun="notification")
    click.echo(f"queued {len(ids)} message(s) for delivery")


def _requeue_stuck(older_than):
    from .jobs import requeue_stuck

    return requeue_stuck(older_than)


cli.add_command(
    delivery.requeue_command(
        _requeue_stuck,
        counted=lambda n: f"{n} message(s)",
        help="Queue again messages whose delivery job was lost (pending or stale sending).",
    )
)
