"""`flask --app wsgi open311 keys ...`: Open311 clients' API keys from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ...core import clock
from ...core.errors import DomainError
from ...extensions import db
from . import keys

open311_cli = AppGroup("open311", help="Open311 GeoReport v2: clients' API keys.")
keys_cli = AppGroup("keys", help="Issue, list and revoke API keys.")
open311_cli.add_command(keys_cli)


def _fail(exc: DomainError):
    db.session.rollback()
    raise click.ClickException(exc.message)


@keys_cli.command("create")
@click.argument("name")
def create(name):
    """Issue a key to the client NAME and print it (it is shown only now)."""
    try:
        _key, raw = keys.create_key(name, actor=None, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(raw)


@keys_cli.command("revoke")
@click.argument("name")
def revoke(name):
    """Revoke the key of the client NAME (its next request is refused)."""
    try:
        keys.revoke_key(name, actor=None, now=clock.now())
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"revoked: {name}")


@keys_cli.command("list")
def list_keys():
    """The clients' keys: name, first characters, state, requests made."""
    for key in keys.all_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.name}\t{key.prefix}…\t{state}\t{key.request_count}")
