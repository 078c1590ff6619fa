"""`flask --app wsgi users ...`: user accounts from the command line.

One transaction per command, committed at the end.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


def _fail(exc: DomainError):
    db.session.rollback()
    field = f" ({exc.field})" if exc.field else ""
    raise click.ClickException(f"{exc.message}{field}")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["operator", "dispatcher", "unit_staff", "supervisor", "kb_editor", "admin"]),
)
@click.option("--unit", "unit_code", help="Unit code (required for unit_staff).")
@click.option("--name", "display_name", help="Display name (defaults to the username).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user(username, role, unit_code, display_name, password_stdin):
    """Create a user; the password comes from a prompt or standard input, never the command line."""
    from . import services

    password = _read_password(password_stdin)
    try:
        user = services.create_user(
            actor=None,
            now=clock.now(),
            username=username,
            password=password,
            role=role,
            unit_code=unit_code,
            display_name=display_name,
        )
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role}{', ' + unit_code if unit_code else ''})")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
def set_password(username, password_stdin):
    """Set a user's password (ends their sessions and tokens)."""
    from . import queries, services

    user = queries.get_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    try:
        services.update_user(user, actor=None, now=clock.now(), changes={"password": _read_password(password_stdin)})
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"password changed for {username}")


@users_cli.command("disable")
@click.argument("username")
def disable_user(username):
    """Disable a user at once: sessions and tokens stop working."""
    from . import queries, services

    user = queries.get_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    services.update_user(user, actor=None, now=clock.now(), changes={"is_active": False})
    db.session.commit()
    click.echo(f"disabled {username}")
