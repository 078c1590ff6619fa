"""Where attachments' bytes live: one interface, a folder under the data directory by default.

A backend stores immutable blobs under keys the caller chooses (content-addressed here: the
SHA-256 of the bytes, so writing the same bytes twice is harmless and a key never changes
meaning). Another backend (an object store, say) implements :class:`Storage` and is named
by ``HOTLINE_ATTACHMENT_STORAGE=package.module:factory``, a callable taking the app's config.

Blobs are written before the row that names them is committed; a transaction that rolls
back leaves an unreferenced blob behind, never a row without its bytes.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.[a-z]{3,4}$")


class Storage(Protocol):
    """A blob store: put once, read many times."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:  # KeyError when absent
        ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self) -> Iterator[str]: ...


def key_for(data: bytes, extension: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest}.{extension}"


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise KeyError(key)
    return key


class FolderStorage:
    """Blobs as files under ``root`` (``<data dir>/attachments`` by default), written atomically."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*")):
            key = f"{path.parent.name}/{path.name}"
            if _KEY.match(key):
                yield key


def folder_storage(config) -> FolderStorage:
    return FolderStorage(config.get("ATTACHMENT_DIR") or Path(config["DATA_DIR"]) / "attachments")


def make_storage(config) -> Storage:
    """The backend the configuration names (``module:factory``), the folder by default."""
    spec = config.get("ATTACHMENT_STORAGE") or "folder"
    if spec == "folder":
        return folder_storage(config)
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)(config)


def get_storage() -> Storage:
    """The app's storage, made once per app."""
    app = current_app._get_current_object()
    storage = app.extensions.get("hotline.attachment_storage")
    if storage is None:
        storage = app.extensions["hotline.attachment_storage"] = make_storage(app.config)
    return storage


def copy_all(source: Storage, target: Storage) -> int:
    """Every blob of ``source`` that ``target`` lacks (backup and restore); returns how many."""
    copied = 0
    for key in source.list_keys():
        if not target.exists(key):
            target.put(key, source.get(key))
            copied += 1
    return copied
