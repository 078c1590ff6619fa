"""What a transaction already read, kept until it ends.

A request that changes a ticket reads the ticket's rows once (its deadlines, say), lets
the services change them, and answers from the same objects: no service reads them again
in the same transaction. The values live in ``session.info`` and are dropped when the
transaction (or a savepoint) ends, committed or rolled back, so nothing survives into the next one.
Only code that is the sole writer of those rows in the transaction may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "hotline_transaction_cache"


def get(session: Session, key: Any, load: Callable[[], Any]) -> Any:
    """The value cached under ``key`` in this transaction, loaded by ``load()`` the first time."""
    cache = session.info.setdefault(_KEY, {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def peek(session: Session, key: Any, default=None) -> Any:
    return session.info.get(_KEY, {}).get(key, default)


def forget(session: Session, key: Any) -> None:
    """Drop what is kept under ``key`` (what it said is no longer true)."""
    session.info.get(_KEY, {}).pop(key, None)


def install() -> None:
    """Register the session listener once per process."""
    if not event.contains(Session, "after_transaction_end", _forget):
        event.listen(Session, "after_transaction_end", _forget)


def _forget(session: Session, transaction) -> None:
    # The outermost transaction's end, or a savepoint's (what a rolled-back savepoint added
    # must not be kept); not the inner "subtransaction" every flush opens and closes.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_KEY, None)
