"""`flask --app wsgi demo seed`: the demo city for a local try-out."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..core import clock
from ..extensions import db

demo_cli = AppGroup("demo", help="Demo data for a local try-out.")


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Allow seeding when HOTLINE_ENV=production.")
def demo_seed(force):
    """Load the demo city: units, users (password printed), categories, tickets. Idempotent."""
    from .seed import seed

    if current_app.config["HOTLINE_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo data in production (use --force if you mean it)")
    report = seed(now=clock.now(), echo=click.echo)
    db.session.commit()
    report.after_commit(click.echo)
