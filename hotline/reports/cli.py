"""``flask --app wsgi report monthly --month 2026-11 --format html|xlsx|json --out PATH``.

The month is in the centre's time zone. A published month gives its published bulletin
(with its corrections); any other month is computed as of now (a month not yet over,
up to now). The file is written whole or not at all: a bad month, an unknown format or
an unwritable place is a clear error and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db

report_cli = AppGroup("report", help="Reports: the monthly bulletin (运行情况通报) and stored figures.")
FORMATS = ("json", "xlsx", "html")


def bulletin_document(month: str, *, now) -> dict:
    """The published bulletin of ``month`` if there is one, else ``month`` computed now."""
    from . import bulletins, monthly

    month = monthly.parse_month(month, now=now)
    published = bulletins.get_published(month)
    return bulletins.document(published) if published else monthly.compute(month, now=now)


def render(doc: dict, fmt: str) -> bytes:
    from . import render_html, render_xlsx

    if fmt == "json":
        return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx.render(doc)
    return render_html.render(doc)


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder: a reader
    never sees half a file, and a failure leaves nothing."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.ClickException(f"no such directory: {folder}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".bulletin-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@report_cli.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (in the centre's time zone).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
def monthly_command(month, fmt, out):
    """Write the monthly bulletin of MONTH as json, xlsx or html."""
    try:
        doc = bulletin_document(month, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} ({exc.message_zh})") from None
    data = render(doc, fmt)
    db.session.rollback()  # read only: nothing to commit
    write_atomically(out, data)
    state = "published" if doc["published"] else f"computed as of {doc['as_of']}"
    click.echo(f"wrote {out}: bulletin {doc['month']} ({state}), {fmt}, {len(data)} bytes")


@report_cli.command("rollup")
@click.option(
    "--month",
    help="A closed month, YYYY-MM: (re)build its stored figures. Default: each of the last "
    "twelve closed months whose stored figures are missing or stale.",
)
def rollup_command(month):
    """Store the figures of closed months (rollups), read by the bulletin, ranking and trend."""
    from . import rollups

    now = clock.now()
    try:
        if month:
            row = rollups.build(month, now=now)
            said = f"stored the figures of {row.month} in {row.build_ms} ms (version {row.version})"
            db.session.commit()
            click.echo(said)
            return
        built = rollups.refresh(now)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message} ({exc.message_zh})") from None
    click.echo(f"stored the figures of {', '.join(built)}" if built else "every closed month's figures are current")


def register(app) -> None:
    app.cli.add_command(report_cli)
