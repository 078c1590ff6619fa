"""Start a worker: `flask --app wsgi worker [QUEUES...]`; the scheduler: `flask --app wsgi scheduler`.

Queues: default, notifications, escalation (the deadline sweep), search_index. Exactly
one worker may serve search_index (the index has one writer at a time): a second one
is refused while the first is alive.
"""

from __future__ import annotations

import logging

import click
from flask import Flask
from rq import Queue, Worker

from hotline.core.jobs import QUEUES
from hotline.core.redis import get_redis

from .queues import make_worker

SINGLE_WORKER_QUEUES = ("search_index",)


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def check_single_worker_queues(app: Flask, queue_names) -> None:
    """Refuse to start a second live worker on a queue that must have one."""
    redis = get_redis(app)
    for name in SINGLE_WORKER_QUEUES:
        if name not in (tuple(queue_names) or QUEUES):
            continue
        others = [w.name for w in Worker.all(queue=Queue(name, connection=redis))]
        if others:
            raise click.ClickException(
                f"worker {others[0]} already serves {name}, which must have exactly one worker; "
                "start this one without it (a crashed worker's registration expires after its TTL, 420 s)"
            )


def run_worker(app: Flask, queue_names, *, burst: bool = False, name: str | None = None) -> None:
    _configure_logging()
    try:
        worker = make_worker(app, queue_names, name=name)
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    check_single_worker_queues(app, queue_names)
    worker.work(burst=burst, with_scheduler=True)


def run_scheduler_command(app: Flask, *, once: bool = False) -> None:
    from .schedule import run_scheduler

    _configure_logging()
    try:
        run_scheduler(app, once=once)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
