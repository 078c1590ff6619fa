"""`flask --app wsgi topics ...`: ticket terms, hot topics and spikes from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..core import clock
from ..extensions import db
from . import topics, topics_spikes, topics_terms

cli = AppGroup("topics", help="Hot topics (热点诉求): ticket terms, topics and spikes.")


@cli.command("backfill")
@click.option("--batch", default=2000, show_default=True, type=click.IntRange(1, 100000))
@click.option("--max", "maximum", default=0, type=click.IntRange(0), help="Stop after this many (0: all).")
def backfill(batch, maximum):
    """Write the terms of every ticket without current ones (one commit per batch)."""
    total = 0
    while True:
        done = topics_terms.backfill(now=clock.now(), limit=batch)
        db.session.commit()
        total += done
        if done < batch or (maximum and total >= maximum):
            break
    click.echo(f"{total} ticket(s) analysed")


@cli.command("spikes")
def spikes():
    """Run the spike rule now and list the open spikes."""
    now = clock.now()
    topics_spikes.detect(now=now)
    db.session.commit()
    for s in topics.current_spikes(now):
        scope = (s["area"] or s["category"] or {}).get("name", "")
        click.echo(f"{s['id']:>6} {scope} {s['label']} callers={s['count']} since {clock.isoformat(s['first_at'])}")


@cli.command("hot")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 50))
def hot(month, limit):
    """Print a month's hot topics."""
    try:
        period = topics.month_period(month, current_app.config["TIMEZONE"])
    except ValueError:
        raise click.BadParameter("give the month as YYYY-MM", param_hint="--month") from None
    for t in topics.hot_topics(period, now=clock.now(), limit=limit):
        click.echo(f"{t['count']:>6} ({t['change']:+d}) {t['label']}  [{' '.join(t['keywords'])}]")
