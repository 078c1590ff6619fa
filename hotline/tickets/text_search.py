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

Scope (PostgreSQL only, migration 0022): the vector also holds which units may see the ticket,
``#l<unit id>`` for its lead unit and ``#a<unit id>`` for each assisting unit, without
positions ('#' is never in a run, so no bigram and no query term is one of them). A unit's
staff search ``terms @@ (<the words> & ('#l8' | '#a8'))``: one GIN lookup intersects the words
and the unit, instead of reading either every match of a common word in the city (路灯:
22,000 of a million) or every one of the unit's 50,000 tickets. They
only pre-filter: the exact visibility clause stays in the query, so they must never lack a
unit that may see the ticket. Each row's scope is read from ``tickets`` and
``ticket_assist_units`` by the statement that writes the row, and rewritten (one UPDATE,
content untouched) in the flush that changes the lead unit or the assisting units.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Integer, cast, column, event, exists, literal, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY
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


def tsvector_literal(runs: list[list[str]], scope=()) -> str:
    """A PostgreSQL tsvector literal: each bigram with its positions (runs kept apart), then the
    ``scope`` lexemes (see scope_lexemes) without positions."""
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
    for term in scope:
        positions.setdefault(term, [])
    return " ".join(f"'{term}'" + (":" + ",".join(map(str, at)) if at else "") for term, at in positions.items())


def scope_lexemes(lead_unit_id: int | None, assist_unit_ids=()) -> list[str]:
    """The scope lexemes of a ticket led by ``lead_unit_id`` and assisted by ``assist_unit_ids``."""
    lead = [f"#l{lead_unit_id}"] if lead_unit_id is not None else []
    return lead + [f"#a{unit_id}" for unit_id in assist_unit_ids]


def scope_tsquery(unit_ids) -> str:
    """The tickets each of ``unit_ids`` leads or assists (AND-ed when several)."""
    return " & ".join(f"('#l{int(u)}' | '#a{int(u)}')" for u in unit_ids)


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


# The scope lexemes of a ticket (a tsvector; the same lexemes as scope_lexemes), read from the
# database as it is now: its lead unit and its assisting units.
_UPSERT = {
    "postgresql": text(
        "INSERT INTO ticket_search (ticket_id, terms) VALUES (:id, CAST(:terms AS tsvector) || "
        "array_to_tsvector(ARRAY(SELECT '#l' || t.lead_unit_id FROM tickets t WHERE t.id = :id "
        "AND t.lead_unit_id IS NOT NULL UNION ALL "
        "SELECT '#a' || a.unit_id FROM ticket_assist_units a WHERE a.ticket_id = :id))) "
        "ON CONFLICT (ticket_id) DO UPDATE SET terms = EXCLUDED.terms"
    ),
    "sqlite": text("INSERT OR REPLACE INTO ticket_search (rowid, terms) VALUES (:id, :terms)"),
}

# The scope of these tickets rewritten from the database, their words kept as they are.
_RESCOPE = text(
    "UPDATE ticket_search SET terms = "
    "ts_delete(terms, ARRAY(SELECT u.lexeme FROM unnest(terms) AS u WHERE u.lexeme LIKE '#%')) || "
    "array_to_tsvector(ARRAY(SELECT '#l' || t.lead_unit_id FROM tickets t WHERE t.id = ticket_search.ticket_id "
    "AND t.lead_unit_id IS NOT NULL UNION ALL "
    "SELECT '#a' || a.unit_id FROM ticket_assist_units a WHERE a.ticket_id = ticket_search.ticket_id)) "
    "WHERE ticket_id = ANY(CAST(:ids AS integer[]))"
)


def stored_terms(dialect: str, content: str | None, address: str | None, scope=()) -> str:
    """The stored form of a ticket's text (and, on PostgreSQL, its ``scope`` lexemes)."""
    runs = document_terms(content, address)
    return tsvector_literal(runs, scope) if dialect == "postgresql" else fts5_text(runs)


def index_ticket(ticket_id: int, content: str | None, address: str | None, *, session=None) -> None:
    """Write (or rewrite) one ticket's row of the index, in the current transaction (on
    PostgreSQL with its scope as the database has it)."""
    session = session or db.session
    dialect = _dialect(session)
    session.connection().execute(_UPSERT[dialect], {"id": ticket_id, "terms": stored_terms(dialect, content, address)})


def rescope(ticket_ids, *, session=None) -> None:
    """Rewrite the scope lexemes of these tickets' rows from the database (PostgreSQL; nothing
    to do on SQLite), in one statement."""
    session = session or db.session
    if ticket_ids and _dialect(session) == "postgresql":
        session.connection().execute(_RESCOPE, {"ids": sorted(ticket_ids)})


_SCOPE_ATTRS = ("lead_unit", "lead_unit_id", "assist_units")


def _index_changed(session, flush_context) -> None:
    """After a flush (ids assigned, changes not yet forgotten): index every ticket the unit of
    work inserted, rewrite the row of every ticket whose content or address changed, and the
    scope of every other ticket whose lead or assisting units changed (one statement for all).
    (Intake writes its ticket with Core and calls ``index_ticket`` itself.)"""
    from sqlalchemy import inspect

    from .models import Ticket

    for obj in session.new:
        if isinstance(obj, Ticket):
            index_ticket(obj.id, obj.content, obj.address, session=session)
    rescoped = set()
    for obj in session.dirty:
        if isinstance(obj, Ticket):
            attrs = inspect(obj).attrs
            if attrs.content.history.has_changes() or attrs.address.history.has_changes():
                index_ticket(obj.id, obj.content, obj.address, session=session)
            elif any(getattr(attrs, name).history.has_changes() for name in _SCOPE_ATTRS):
                rescoped.add(obj.id)
    rescope(rescoped, session=session)


def connect() -> None:
    """Keep the index current when a ticket is written through the ORM (from the tickets'
    init_app)."""
    if not event.contains(Session, "after_flush", _index_changed):
        event.listen(Session, "after_flush", _index_changed)


# --- reading --------------------------------------------------------------------------------


def matching_ids(q: str, dialect: str, *, units=()):
    """A SELECT of the ids of the tickets whose text contains ``q`` (None when ``q`` has no
    letter or digit: nothing to search for). ``units``: on PostgreSQL, only (a superset of) the
    tickets each of these units leads or assists, from the same index (the caller keeps its
    exact visibility clause); ignored on SQLite."""
    runs = query_runs(q)
    if not runs:
        return None
    if dialect == "postgresql":
        found = text("SELECT ticket_id FROM ticket_search WHERE terms @@ CAST(:tsq AS tsquery)")
        return found.bindparams(tsq=_tsquery(runs, units)).columns(column("ticket_id", Integer))
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


def _tsquery(runs: list[str], units) -> str:
    tsq = tsquery_literal(runs)
    return f"({tsq}) & {scope_tsquery(units)}" if units else tsq


_SEARCH_TABLE = table("ticket_search", column("ticket_id", Integer), column("terms"))


def row_matches(q: str, ticket_id, *, units=()):
    """PostgreSQL: whether the row of the ticket whose id is ``ticket_id`` (a column of the outer
    query) matches ``q``, tested ticket by ticket (an EXISTS that OFFSET 0 keeps from becoming a
    join): the tickets are then read in the query's order until a page is found, never all the
    matches (None when ``q`` has nothing to search for)."""
    runs = query_runs(q)
    if not runs:
        return None
    tsq = cast(literal(_tsquery(runs, units)), TSQUERY)
    probe = (
        select(literal_column("1"))
        .select_from(_SEARCH_TABLE)
        .where(_SEARCH_TABLE.c.ticket_id == ticket_id, _SEARCH_TABLE.c.terms.op("@@")(tsq))
        .offset(0)
    )
    return exists(probe)
