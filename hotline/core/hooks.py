"""Side effects that run only after a successful commit.

Services call :func:`after_commit` to register a callable; it runs once the session's
transaction commits, and is discarded if the transaction rolls back. This is how jobs,
notifications and index updates are never sent for a change that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_KEY = "hotline_after_commit"


def after_commit(session: Session, fn: Callable, *args, **kwargs) -> None:
    session.info.setdefault(_KEY, []).append((fn, args, kwargs))


class _Batch(list):
    """The items of consecutive :func:`after_commit_batched` registrations, passed in one call."""


def after_commit_batched(session: Session, fn: Callable, first, item) -> None:
    """Register ``fn(first, [item, ...])`` to run after the commit: consecutive registrations
    of the same ``fn`` and ``first`` add their items to one call (the request's jobs go to
    Redis in one round trip), in the order they came, between the other callbacks as registered."""
    callbacks = session.info.setdefault(_KEY, [])
    if callbacks:
        last_fn, last_args, _ = callbacks[-1]
        if last_fn is fn and last_args[0] is first and type(last_args[1]) is _Batch:
            last_args[1].append(item)
            return
    callbacks.append((fn, (first, _Batch([item])), {}))


def pending(session: Session) -> list:
    return list(session.info.get(_KEY, ()))


def install() -> None:
    """Register the session listeners once per process."""
    if event.contains(Session, "after_commit", _run):
        return
    event.listen(Session, "after_commit", _run)
    # after_soft_rollback fires for savepoints too; only the outermost rollback
    # discards what the whole transaction registered.
    event.listen(Session, "after_soft_rollback", _discard)


def _run(session: Session) -> None:
    # SQLAlchemy fires after_commit for a savepoint's release too; the side effects wait
    # for the outermost transaction (until then the change is not committed).
    if session.in_nested_transaction():
        return
    callbacks = session.info.pop(_KEY, None)
    if not callbacks:
        return
    for fn, args, kwargs in callbacks:
        # A failing side effect must not undo or hide the committed change; it is
        # logged with its traceback (and jobs record their own failures).
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("after-commit callback %r failed", getattr(fn, "__name__", fn))


def _discard(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_KEY, None)
