"""`flask --app wsgi sla ...`: the deadline watch from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core import clock

sla_cli = AppGroup("sla", help="Deadlines: run the watch.")


@sla_cli.command("sweep")
@click.option("--now", "as_of", help="Sweep as of this ISO 8601 time (default: now; no zone = local time).")
def sweep_command(as_of):
    """Run one deadline sweep and print what it recorded (safe to run at any time, and twice)."""
    from .sweep import run_sweep

    try:
        now = clock.parse_iso(as_of) if as_of else clock.now()
    except ValueError:
        raise click.BadParameter(f"{as_of!r} is not an ISO 8601 time", param_hint="--now") from None
    result = run_sweep(now)
    for r in result.recorded:
        click.echo(f"{r.ticket_number}\t{r.deadline_kind}\t{r.kind}\t{r.unit}\t{clock.isoformat(r.point_at)}")
    counts = result.counts()
    click.echo(
        f"sweep as of {clock.isoformat(now)}: {result.deadlines_checked} deadline(s) checked, "
        f"{counts['warning']} warning(s), {counts['overdue']} overdue, {counts['red']} red card(s)"
        + (f"; FAILED deadlines (see the log): {result.failed}" if result.failed else "")
    )
    if result.failed:
        raise SystemExit(1)
