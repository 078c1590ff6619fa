"""Ticket search by text: an index of character bigrams of each ticket's content and address.

Chinese has no spaces, and the words people search tickets for are mostly two characters
(路灯, 噪音, 社保). Each ticket's text is cut into runs of letters and digits (punctuation and
spaces end a run), lower-cased and folded to half-width (NFKC), and every run into its
overlapping character bigrams (幸福路12号 → 幸福 福路 路1 12 2号; a one-character run is kept as
it is). A query is cut the same way; each of its runs must appear as a phrase of adjacent
bigrams (a one-character run: any bigram that begins with it), and every run must appear.
So a query finds what a substring match over the text found before, from an index instead of
reading every ticket. ``bench/ticket_search.py`` compares this with jieba words, pg_trgm and
the substring scan on the million-ticket city (README, Benchmarks).

Storage (created by migration 0016, written and read only here; alembic's comparison
skips it, see ``UNMANAGED_TABLES``):

- PostgreSQL: ``ticket_search (ticket_id, terms tsvector)`` with a GIN index on ``terms``; the
  vector is built here as a tsvector literal (no text-search parser or dictionary involved:
  the lexemes are exactly our bigrams, their positions our positions).
- SQLite: an FTS5 table ``ticket_search (terms)`` whose rowid is the ticket's id, holding the
  bigrams separated by spaces; a query is an FTS5 phrase per run.

The row is written in the transaction that creates the ticket (``index_ticket``, called by
intake) and rewritten in the transaction that changes its content or address (an
``after_flush`` listener), so search never lags behind a commit.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Integer, column, event, text
from sqlalchemy.orm import Session

from ..extensions import db

# Tables that migrations create and alembic's model comparison must leave alone (the FTS5
# table and its shadow tables on SQLite: ticket_search_data, _idx, _content, _docsize, _config).
UNMANAGED_TABLES = ("ticket_search",)

# A run: letters and digits of any script (no underscore, which FTS5 splits on).
_RUN = re.compile(r"[^\W_]+")
# Runs of the stored text are kept apart in the tsvector: a phrase never spans two of them.
_RUN_GAP = 2
# PostgreSQL keeps positions up to 16,383; later bigrams are kept without one.
_MAX_POSITION = 16383
MAX_QUERY_RUNS = 8


def _runs(value: str | None) -> list[str]:
    if not value:
        return []
    return _RUN.findall(unicodedata.normalize("NFKC", value).lower())


def bigrams(run: str) -> list[str]:
    """The overlapping character bigrams of one run (the run itself when it is one character)."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(*values: str | None) -> list[list[str]]:
    """The bigrams of each run of each value, in order."""
    return [bigrams(run) for value in values for run in _runs(value)]


def query_runs(q: str) -> list[str]:
    """The runs a query is made of (at most ``MAX_QUERY_RUNS``, the longest kept)."""
    runs = _runs(q)
    if len(runs) > MAX_QUERY_RUNS:
        runs = sorted(runs, key=len, reverse=True)[:MAX_QUERY_RUNS]
    return runs


# --- the stored form ----------------------------------------------------------------------


def tsvector_literal(runs: list[list[str]]) -> str:
    """A PostgreSQL tsvector literal: each bigram with its positions (runs kept apart)."""
    positions: dict[str, list[int]] = {}
    position = 1
    for run in runs:
        for term in run:
            if position <= _MAX_POSITION:
                positions.setdefault(term, []).append(position)
            else:
                positions.setdefault(term, [])
            position += 1
        position += _RUN_GAP
    return " ".join(f"'{term}'" + (":" + ",".join(map(str, at)) if at else "") for term, at in positions.items())


def fts5_text(runs: list[list[str]]) -> str:
    return " ".join(term for run in runs for term in run)


def tsquery_literal(runs: list[str]) -> str:
    """Every run as a phrase of its bigrams (``<->``), or a prefix for a one-character run."""
    parts = []
    for run in runs:
        if len(run) == 1:
            parts.append(f"'{run}':*")
        else:
            parts.append("(" + " <-> ".join(f"'{term}'" for term in bigrams(run)) + ")")
    return " & ".join(parts)


def fts5_query(runs: list[str]) -> str:
    parts = []
    for run in runs:
        if len(run) == 1:
            parts.append(f'"{run}"*')
        else:
            parts.append('"' + " ".join(bigrams(run)) + '"')
    return " AND ".join(parts)


# --- writing --------------------------------------------------------------------------------


def _dialect(session) -> str:
    return session.get_bind().dialect.name


_UPSERT = {
    "postgresql": text(
        "INSERT INTO ticket_search (ticket_id, terms) VALUES (:id, CAST(:terms AS tsvector)) "
        "ON CONFLICT (ticket_id) DO UPDATE SET terms = EXCLUDED.terms"
    ),
    "sqlite": text("INSERT OR REPLACE INTO ticket_search (rowid, terms) VALUES (:id, :terms)"),
}


def stored_terms(dialect: str, content: str | None, address: str | None) -> str:
    runs = document_terms(content, address)
    return tsvector_literal(runs) if dialect == "postgresql" else fts5_text(runs)


def index_ticket(ticket_id: int, content: str | None, address: str | None, *, session=None) -> None:
    """Write (or rewrite) one ticket's row of the index, in the current transaction."""
    session = session or db.session
    dialect = _dialect(session)
    session.connection().execute(_UPSERT[dialect], {"id": ticket_id, "terms": stored_terms(dialect, content, address)})


def _index_changed(session, flush_context) -> None:
    """After a flush (ids assigned, changes not yet forgotten): index every ticket the unit of
    work inserted, and rewrite the row of every ticket whose content or address changed.
    (Intake writes its ticket with Core and calls ``index_ticket`` itself.)"""
    from sqlalchemy import inspect

    from .models import Ticket

    for obj in session.new:
        if isinstance(obj, Ticket):
            index_ticket(obj.id, obj.content, obj.address, session=session)
    for obj in session.dirty:
        if isinstance(obj, Ticket):
            state = inspect(obj)
            if state.attrs.content.history.has_changes() or state.attrs.address.history.has_changes():
                index_ticket(obj.id, obj.content, obj.address, session=session)


def connect() -> None:
    """Keep the index current when a ticket is written through the ORM (from the tickets'
    init_app)."""
    if not event.contains(Session, "after_flush", _index_changed):
        event.listen(Session, "after_flush", _index_changed)


# --- reading --------------------------------------------------------------------------------


def matching_ids(q: str, dialect: str):
    """A SELECT of the ids of the tickets whose text contains ``q`` (None when ``q`` has no
    letter or digit: nothing to search for)."""
    runs = query_runs(q)
    if not runs:
        return None
    if dialect == "postgresql":
        found = text("SELECT ticket_id FROM ticket_search WHERE terms @@ CAST(:tsq AS tsquery)")
        return found.bindparams(tsq=tsquery_literal(runs)).columns(column("ticket_id", Integer))
    found = text("SELECT rowid AS ticket_id FROM ticket_search WHERE ticket_search MATCH :fts")
    return found.bindparams(fts=fts5_query(runs)).columns(column("ticket_id", Integer))


_BATCH = text("SELECT id, content, address FROM tickets WHERE id > :after ORDER BY id LIMIT :batch")


def backfill(connection, *, batch: int = 20000, echo=None) -> int:
    """Fill the empty index with every ticket (migration 0016), in batches read by id
    (a keyset on the primary key: each batch an index range); on PostgreSQL each batch is
    written with COPY. Returns how many were written."""
    dialect = connection.dialect.name
    written, after = 0, 0
    while True:
        rows = connection.execute(_BATCH, {"after": after, "batch": batch}).all()
        if not rows:
            return written
        values = [(id_, stored_terms(dialect, content, address)) for id_, content, address in rows]
        if dialect == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy("COPY ticket_search (ticket_id, terms) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            connection.execute(_UPSERT[dialect], [{"id": id_, "terms": terms} for id_, terms in values])
        written += len(rows)
        after = rows[-1][0]
        if echo is not None:
            echo(written)
