"""Start a worker: `flask --app wsgi worker [QUEUES...]`."""

from __future__ import annotations

import logging

import click
from flask import Flask

from .queues import make_worker


def run_worker(app: Flask, queue_names, *, burst: bool = False, name: str | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = make_worker(app, queue_names, name=name)
    except (RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    worker.work(burst=burst, with_scheduler=True)
