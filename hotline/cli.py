"""Command-line interface: `flask --app wsgi ...`.

One transaction per command, committed at the end.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .core import clock
from .core.errors import DomainError
from .extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for a local try-out.")


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
    from .accounts import services

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
    from .accounts import queries, services

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
    from .accounts import queries, services

    user = queries.get_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    services.update_user(user, actor=None, now=clock.now(), changes={"is_active": False})
    db.session.commit()
    click.echo(f"disabled {username}")


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Allow seeding when HOTLINE_ENV=production.")
def demo_seed(force):
    """Load the demo city: units, users (password printed), categories, tickets. Idempotent."""
    from .demo.seed import seed

    if current_app.config["HOTLINE_ENV"] == "production" and not force:
        raise click.ClickException("refusing to load demo data in production (use --force if you mean it)")
    report = seed(now=clock.now(), echo=click.echo)
    db.session.commit()
    report.after_commit(click.echo)


@click.command("worker")
@with_appcontext
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", help="Worker name (defaults to rq's).")
def worker_command(queues, burst, name):
    """Run an rq worker on QUEUES (default: all). Needs HOTLINE_REDIS_URL."""
    from workers.run import run_worker  # imported only when a worker starts

    run_worker(current_app._get_current_object(), queues, burst=burst, name=name)


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Enqueue what is due now and exit.")
def scheduler_command(once):
    """Enqueue the periodic jobs (the deadline sweep every minute). Needs HOTLINE_REDIS_URL."""
    from workers.run import run_scheduler_command  # imported only when the scheduler starts

    run_scheduler_command(current_app._get_current_object(), once=once)


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
