"""`flask --app wsgi tickets ...`: tickets from the command line.

``import-history PATH.jsonl`` brings a centre's past tickets in from its old system (see
:mod:`hotline.tickets.history`): a bad line is reported with its number and skipped, the
rest are imported, committed every few hundred lines; importing the same file again
updates what changed. The exit status is 1 when any line was refused.
"""

from __future__ import annotations

import os
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db

tickets_cli = AppGroup("tickets", help="Tickets: import a centre's history.")

BATCH = 500  # lines a commit


def _importing_user(username: str | None):
    from ..accounts.models import User

    stmt = select(User).where(User.is_active.is_(True))
    stmt = stmt.where(User.username == username) if username else stmt.where(User.role == "admin").order_by(User.id)
    user = db.session.scalars(stmt.limit(1)).first()
    if user is None:
        raise click.ClickException(
            f"No active user {username!r}." if username else "No active admin: give --user USERNAME."
        )
    return user


@tickets_cli.command("import-history")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", help="Recorded as the importer (default: the first active admin).")
def import_history_command(path, username):
    """Import past tickets from PATH (JSON lines) as closed tickets of the channel `import`."""
    from . import history

    actor = _importing_user(username)
    now = clock.now()
    caller = history.import_caller(now)
    lookups = history.Lookups()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    bad: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as lines:
        size = os.fstat(lines.fileno()).st_size
        with click.progressbar(length=size, label="导入历史工单", file=sys.stderr) as bar:
            for number, raw in enumerate(lines, start=1):
                bar.update(len(raw.encode("utf-8")))
                if not raw.strip():
                    continue
                try:
                    record = history.parse_line(raw, lookups)
                    with db.session.begin_nested():
                        counts[history.import_record(record, actor=actor, caller=caller, now=now)] += 1
                except DomainError as exc:
                    bad.append(_described(number, exc))
                except IntegrityError:
                    bad.append(f"第 {number} 行：与同时进行的导入冲突，请重新导入。")
                if number % BATCH == 0:
                    db.session.commit()
    db.session.commit()
    for line in bad:
        click.echo(line, err=True)
    click.echo(
        f"新增 {counts['created']} 条，更新 {counts['updated']} 条，未变 {counts['unchanged']} 条，出错 {len(bad)} 行。"
    )
    if bad:
        raise SystemExit(1)


def _described(number: int, exc: DomainError) -> str:
    field = f"（{exc.field}）" if exc.field else ""
    return f"第 {number} 行{field}：{exc.message_zh}"
