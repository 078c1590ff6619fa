"""`flask --app wsgi esup ...`: the connector's dead letters from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db
from . import connector, queries

cli = AppGroup("esup", help="The connector to the external e-supervision system.")


@cli.command("dead-letters")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
def dead_letters(limit):
    """List deliveries that failed every retry."""
    page = queries.list_deliveries(status="dead", per_page=limit)
    for d in page.items:
        click.echo(f"{d.id:>7} {d.event:<22} case={d.case_id} attempts={d.attempts} replays={d.replays} {d.last_error}")
    click.echo(f"{page.total} dead letter(s)")


@cli.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
def replay(ids, replay_all):
    """Send dead deliveries again (same body, same idempotency key)."""
    if replay_all:
        ids = [d.id for d in queries.list_deliveries(status="dead", per_page=100000).items]
        if not ids:
            click.echo("no dead letters")
            return
    if not ids:
        raise click.ClickException("give delivery ids or --all")
    now = clock.now()
    for delivery_id in ids:
        delivery = queries.get_delivery(delivery_id)
        if delivery is None:
            db.session.rollback()
            raise click.ClickException(f"no delivery {delivery_id}")
        try:
            connector.replay(delivery, actor=None, now=now)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"delivery {delivery_id}: {exc.message}") from None
    db.session.commit()
    click.echo(f"replaying {len(ids)} deliver{'y' if len(ids) == 1 else 'ies'}")


@cli.command("requeue")
@click.option("--older-than", "older_than", type=click.IntRange(0), help="Seconds untouched (default: safe).")
def requeue_command(older_than):
    """Queue again deliveries whose job was lost (pending or stale sending)."""
    from .jobs import requeue_stuck

    count = requeue_stuck(older_than)
    db.session.commit()
    click.echo(f"requeued {count} deliver{'y' if count == 1 else 'ies'}")
