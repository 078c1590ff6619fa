"""`flask --app wsgi esup ...`: the connector's dead letters from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import delivery
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
    delivery.redo_from_cli(ids, get=queries.get_delivery, redo=connector.replay, noun="delivery")
    click.echo(f"replaying {_deliveries(len(ids))}")


def _deliveries(count: int) -> str:
    return f"{count} deliver{'y' if count == 1 else 'ies'}"


def _requeue_stuck(older_than):
    from .jobs import requeue_stuck

    return requeue_stuck(older_than)


cli.add_command(
    delivery.requeue_command(
        _requeue_stuck,
        counted=_deliveries,
        help="Queue again deliveries whose job was lost (pending or stale sending).",
    )
)
