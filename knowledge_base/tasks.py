"""Index jobs, run on the ``search_index`` queue by exactly one worker
(``flask --app wsgi worker search_index``), or inline after the commit without Redis.

Jobs take ids and re-read the database: idempotent, safe to run twice, even at once
(Whoosh's writer lock serialises writers; a job waiting too long raises and rq retries).
"""

from __future__ import annotations

import logging

from hotline.core import clock
from hotline.extensions import db

from . import indexing

log = logging.getLogger(__name__)


def index_articles(*article_ids: int) -> int:
    """Write these articles' current state to the index."""
    return indexing.update_articles(article_ids)


def reindex() -> int:
    """Rebuild the whole index (skipped when another rebuild is running)."""
    result = indexing.rebuild(wait=False)
    return result[1] if result else 0


def flag_review_due() -> int:
    """Flag every published article past its review-by date and tell its owner unit (hourly)."""
    from . import services

    now = clock.now()
    added = services.flag_review_due(now=now, today=clock.local(now).date())
    log.info("knowledge base: %d article(s) newly flagged for review", added)
    return added


def embed_articles(*article_ids: int) -> int:
    """Compute the semantic vectors of these articles whose text changed (``kb_vectors`` queue)."""
    from . import vectors

    return vectors.embed_articles(article_ids)


def embed_missing() -> int:
    """Queue the embedding of every article without a current vector (hourly, with Redis)."""
    from . import vectors

    ids = vectors.missing_ids()
    # Without Redis the jobs run here, now, each in its own transaction: this one (it only
    # read) ends first, or on SQLite its write lock would hold them until they time out.
    db.session.commit()
    if ids:
        log.info("knowledge base: %d article(s) without a current vector, queued", len(ids))
    return vectors.schedule(ids)
