"""The index on disk: generations, atomic swaps, one writer, searchers kept open.

Layout under ``<HOTLINE_DATA_DIR>/kb_index/``::

    CURRENT              the name of the live generation (replaced atomically)
    gen-<time>-<rand>/   a Whoosh index; a rebuild writes a new one, then swaps CURRENT
      SYNCED             the articles' change sequence this generation has applied up to
                         (``knowledge_base.changes``; written after each commit)
    rebuild.lock         held (flock) by the one rebuild running on this machine

Searches read ``CURRENT`` and keep one Whoosh searcher per thread, reopened only when the
index has changed (a searcher must not be shared between threads), so a
process never opens the index per request and keeps answering from the old generation
while a rebuild builds the new one.

Writes (index jobs) take Whoosh's writer lock with a timeout and commit synchronously:
never ``AsyncWriter``, whose deferred commit an rq work-horse would lose at ``os._exit``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index, scoring
from whoosh.filedb.filestore import FileStorage
from whoosh.multiproc import MpWriter

from .schema import make_schema

log = logging.getLogger(__name__)

# BM25F parameters chosen on the evaluation sets (bench/kb_eval.py): little length
# normalisation and early term-frequency saturation favour documents that match many
# different words of a question over ones that repeat one word.
WEIGHTING = scoring.BM25F(B=0.3, K1=0.5)  # (searching scores it in numpy: search/weighting.py)
SYNCED = "SYNCED"
WRITE_TIMEOUT = 60.0  # seconds a job waits for the writer lock before failing (rq retries)


def _storage(path: Path) -> FileStorage:
    # No mmap: a damaged or truncated index file must raise an exception we can recover
    # from, not kill the web process with SIGBUS (which mmap does; reproduced in tests).
    return FileStorage(str(path), supports_mmap=False)


def _close(searcher) -> None:
    try:
        searcher.close()
    except Exception:
        log.exception("closing a knowledge-base searcher failed")


def _close_all(searchers: dict) -> None:
    for _, searcher in list(searchers.values()):
        _close(searcher)
    searchers.clear()


class IndexBuildError(Exception):
    """A rebuild wrote fewer documents than it was given (the live generation is untouched)."""


class IndexUnavailable(Exception):
    """The index is missing or cannot be read; it must be rebuilt from the database."""


class SearchIndex:
    """The knowledge-base index of one application (one per process, shared by threads)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._opened: dict[str, index.Index] = {}
        # thread id → (generation, searcher): a searcher must not be shared between threads.
        self._searchers: dict[int, tuple[str, object]] = {}
        self.verified: set[str] = set()  # generations this process has checked are not empty
        weakref.finalize(self, _close_all, self._searchers)

    # --- reading ---------------------------------------------------------------------

    def current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _open(self, name: str) -> index.Index:
        with self._lock:
            ix = self._opened.get(name)
            if ix is None:
                ix = _storage(self.root / name).open_index()
                self._opened = {name: ix}
            return ix

    @contextmanager
    def searcher(self) -> Iterator:
        """This thread's searcher on the live generation, refreshed. Raises IndexUnavailable."""
        name = self.current_name()
        if name is None:
            raise IndexUnavailable(f"no index in {self.root}")
        thread = threading.get_ident()
        held_name, current = self._searchers.get(thread, (None, None))
        try:
            if current is None or held_name != name:
                if current is not None:
                    self._searchers.pop(thread, None)
                    current.close()
                current = self._open(name).searcher(weighting=WEIGHTING)
            elif not current.up_to_date():
                # A fresh searcher, not refresh(): refresh() keeps readers of merged-away
                # segments open (leaked file handles).
                self._searchers.pop(thread, None)
                current.close()
                current = self._open(name).searcher(weighting=WEIGHTING)
        except Exception as exc:
            self.forget()
            raise IndexUnavailable(f"cannot open the index generation {name}: {exc!r}") from exc
        self._searchers[thread] = (name, current)
        yield current

    def forget(self) -> None:
        """Drop this thread's searcher and the opened index (after an error)."""
        _, current = self._searchers.pop(threading.get_ident(), (None, None))
        if current is not None:
            _close(current)
        with self._lock:
            self._opened = {}

    def close(self) -> None:
        """Close every thread's searcher (the process is done with this index)."""
        _close_all(self._searchers)

    # --- writing ---------------------------------------------------------------------

    def synced(self, name: str) -> int | None:
        """The change sequence generation ``name`` has applied up to (None: not recorded)."""
        try:
            return int((self.root / name / SYNCED).read_text(encoding="ascii").strip())
        except (FileNotFoundError, ValueError):
            return None

    def mark_synced(self, name: str, value: int) -> None:
        """Record that generation ``name`` has applied the changes up to ``value`` (kept if
        a higher value is recorded already; the file is replaced atomically)."""
        held = self.synced(name)
        if held is not None and held >= value:
            return
        directory = self.root / name
        temp = directory / f".{SYNCED}.{uuid.uuid4().hex}"  # Whoosh leaves dot files alone
        temp.write_text(str(int(value)), encoding="ascii")
        os.replace(temp, directory / SYNCED)

    def apply(
        self,
        documents: Iterable[dict],
        deleted_ids: Iterable[str] = (),
        *,
        synced: int | None = None,
        timeout: float = WRITE_TIMEOUT,
        name: str | None = None,
    ) -> int:
        """Add or replace ``documents`` and delete ``deleted_ids`` in the live generation
        (or generation ``name``), then record ``synced`` as its change sequence mark.

        Idempotent. Raises IndexUnavailable when there is no live generation (the caller
        rebuilds instead), whoosh's LockError when another writer holds the lock longer
        than ``timeout`` seconds (0: at once).
        """
        name = name or self.current_name()
        if name is None:
            raise IndexUnavailable(f"no index in {self.root}")
        try:
            ix = _storage(self.root / name).open_index()
        except Exception as exc:
            raise IndexUnavailable(f"cannot open the index generation {name}: {exc!r}") from exc
        count = 0
        writer = ix.writer(timeout=timeout)
        try:
            for doc_id in deleted_ids:
                writer.delete_by_term("id", doc_id)
            for doc in documents:
                writer.update_document(**doc)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        if synced is not None:
            self.mark_synced(name, synced)
        return count

    @contextmanager
    def rebuild_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the machine-wide rebuild lock; yields False when ``wait`` is off and it is taken."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rebuild.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def build(
        self,
        documents: Iterable[dict],
        *,
        progress: Callable[[int], None] | None = None,
        procs: int = 1,
        synced: int | None = None,
    ) -> tuple[str, int]:
        """Write every document into a new generation and make it live. Call under rebuild_lock.

        With ``procs`` > 1, that many child processes analyse and write the documents, each
        into a segment of its own (Whoosh's ``MpWriter``, not merged: searches read every
        segment). Children are forked, so only a single-threaded process may ask for them
        (the ``kb reindex`` command does; jobs and web processes build in one process).
        Whoosh drops a child's segment without a word if the child fails, so the new
        generation's document count is checked before it goes live.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path = self.root / name
        path.mkdir()
        try:
            ix = _storage(path).create_index(make_schema())
            if procs > 1:
                writer = MpWriter(ix, procs=procs, multisegment=True, batchsize=200, limitmb=max(64, 256 // procs))
            else:
                writer = ix.writer(limitmb=256)
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**doc)
                    count += 1
                    if progress is not None:
                        progress(1)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            with ix.reader() as reader:
                written = reader.doc_count_all()
            if written != count:
                raise IndexBuildError(f"{count} documents added but {written} written to {name}")
            if synced is not None:
                self.mark_synced(name, synced)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        self._swap(name)
        return name, count

    def _swap(self, name: str) -> None:
        previous = self.current_name()
        temp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        temp.write_text(name, encoding="utf-8")
        os.replace(temp, self.root / "CURRENT")  # atomic: readers see the old name or the new
        keep = {name, previous}
        # The previous generation stays for searchers still reading it; older ones go.
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)
