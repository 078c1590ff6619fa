"""An application context and a transaction around every job.

A job is a plain function taking ids. The worker runs it inside the app's context, in
one transaction: committed when the function returns, rolled back when it raises (and
rq then records the failure or retries). Work-horses are forked from the worker, so a
horse never reuses the parent's database connections.
"""

from __future__ import annotations

import os

from flask import Flask
from rq.job import Job

from hotline.extensions import db

_app: Flask | None = None
_pool_pid: int | None = None


def bind_app(app: Flask) -> None:
    """Tell this process which application its jobs run in."""
    global _app, _pool_pid
    _app = app
    _pool_pid = os.getpid()


def bound_app() -> Flask:
    if _app is None:
        raise RuntimeError("no application bound: start workers with `flask --app wsgi worker`")
    return _app


def _fresh_pool(app: Flask) -> None:
    global _pool_pid
    if _pool_pid != os.getpid():
        # Forked work-horse: drop the parent's pooled connections without closing them
        # (closing would close the parent's sockets).
        with app.app_context():
            db.engine.dispose(close=False)
        _pool_pid = os.getpid()


class AppJob(Job):
    """An rq job that runs inside the application context, in one transaction."""

    def _execute(self):
        app = bound_app()
        _fresh_pool(app)
        with app.app_context():
            try:
                result = super()._execute()
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
