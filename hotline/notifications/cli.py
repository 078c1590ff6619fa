"""`flask --app wsgi notifications ...`: the outbox from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.errors import DomainError
from ..core.privacy import mask_address
from ..extensions import db
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
    now = clock.now()
    for notification_id in ids:
        notification = queries.get(notification_id)
        if notification is None:
            db.session.rollback()
            raise click.ClickException(f"no notification {notification_id}")
        try:
            services.retry(notification, actor=None, now=now)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"notification {notification_id}: {exc.message}") from None
    db.session.commit()
    click.echo(f"queued {len(ids)} message(s) for delivery")


@cli.command("requeue")
@click.option("--older-than", "older_than", type=click.IntRange(0), help="Seconds untouched (default: safe).")
def requeue_command(older_than):
    """Queue again messages whose delivery job was lost (pending or stale sending)."""
    from .jobs import requeue_stuck

    count = requeue_stuck(older_than)
    db.session.commit()
    click.echo(f"requeued {count} message(s)")
