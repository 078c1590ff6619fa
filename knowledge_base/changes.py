"""The articles' change sequence: what each host's index catches up from.

Every host keeps its own Whoosh index (``knowledge_base.search.index``), a cache of the
database. A session listener notes the articles each flush writes, and just before the
transaction commits it raises the one-row counter ``kb_change_sequence`` by one (an upsert,
whose row lock is held until the commit) and stamps those articles' ``change_seq`` with the
new value. Because the row lock serialises the stamps of concurrent transactions from that
moment to their commits, the values become visible in commit order: a host that read N from
the counter and then applied every article with ``change_seq`` > its last mark has missed no
change committed before it read N, whatever the length of the transactions (an import that
ran for minutes included). ``knowledge_base.indexing.catch_up`` does that.

Only rows written through the session are seen; a Core write to ``kb_articles`` must call
:func:`stamp` itself. Deleted articles are not stamped: searches re-read every hit from the
database, which drops them.
"""

from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

_KEY = "hotline_kb_changed"


def current(session) -> int:
    """The counter's value (0 before the first change)."""
    from .models import ChangeSequence

    return int(session.execute(select(ChangeSequence.value).where(ChangeSequence.id == 1)).scalar() or 0)


def stamp(session, article_ids) -> int:
    """Raise the counter and stamp these articles with its new value (in the caller's
    transaction; the counter's row stays locked until it ends). Returns the value."""
    from .models import Article, ChangeSequence

    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (
        insert(ChangeSequence)
        .values(id=1, value=1)
        .on_conflict_do_update(index_elements=["id"], set_={"value": ChangeSequence.value + 1})
        .returning(ChangeSequence.value)
    )
    value = int(connection.execute(stmt).scalar_one())
    ids = sorted(article_ids)
    for start in range(0, len(ids), 5000):
        connection.execute(
            update(Article.__table__)
            .where(Article.__table__.c.id.in_(ids[start : start + 5000]))
            .values(change_seq=value)
        )
    return value


def _after_flush(session, flush_context) -> None:
    from .models import Article

    changed = session.info.get(_KEY)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Article) and obj.id is not None:
            if changed is None:
                changed = session.info[_KEY] = set()
            changed.add(obj.id)


def _before_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the outermost commit stamps
    if not session.info.get(_KEY) and not any(_is_article(o) for o in (*session.new, *session.dirty)):
        return
    session.flush()  # the final flush, so that its articles are noted too
    ids = session.info.pop(_KEY, None)
    if ids:
        stamp(session, ids)


def _is_article(obj) -> bool:
    from .models import Article

    return isinstance(obj, Article)


def _discard(session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_KEY, None)


def install() -> None:
    """Once per process (from the knowledge base's ``init_app``)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _discard)
