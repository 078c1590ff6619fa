"""Backups that restore: `flask --app wsgi backup DEST` and `restore SRC`.

A backup is a directory holding the database, the attachments' files (``attachments/``,
copied from the attachment storage after the database: every file a copied row names was
written before that row was committed) and a manifest (when, which schema revision, how many
tickets, events, articles and attachment files it holds). The search index is not copied: it
is derived from the database and rebuilt on restore.

- The embedded default (SQLite): SQLite's online backup API copies the live file page by
  page in one step, under a read transaction, so the copy is consistent while the product
  runs and writes (a plain file copy of a WAL database is not).
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot by construction) and
  ``pg_restore --clean``; both must be on the PATH, at the server's major version or newer.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..core import clock
from ..core.errors import InvalidInput
from ..extensions import db

MANIFEST = "manifest.json"
SQLITE_FILE = "hotline.sqlite3"
PG_FILE = "hotline.pgdump"
ATTACHMENTS_DIR = "attachments"
FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    format: int
    dialect: str
    revision: str | None
    made_at: str
    tickets: int
    events: int
    articles: int
    attachment_files: int = 0  # blobs in attachments/ (absent from backups made before them)

    def counts(self) -> dict[str, int]:
        return {"tickets": self.tickets, "events": self.events, "articles": self.articles}


def _refuse(message: str, message_zh: str) -> InvalidInput:
    return InvalidInput(message, message_zh=message_zh, field="path")


COUNTED = {"tickets": "tickets", "events": "ticket_events", "articles": "kb_articles"}


def _counts(execute) -> dict[str, int]:
    """Rows of the tables the manifest vouches for, through ``execute(sql) -> scalar``."""
    return {name: int(execute(f"SELECT count(*) FROM {table}")) for name, table in COUNTED.items()}  # noqa: S608


def _live_counts() -> dict[str, int]:
    return _counts(lambda sql: db.session.scalar(text(sql)))


def _revision() -> str | None:
    try:
        return db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError:  # a database never migrated has no revision
        db.session.rollback()
        return None


def _url():
    return db.engine.url


def _sqlite_path() -> Path:
    path = _url().database
    if not path or path == ":memory:":
        raise _refuse("An in-memory database cannot be backed up.", "内存数据库无法备份。")
    return Path(path)


def _pg_env_and_url() -> tuple[dict[str, str], str]:
    url = _url()
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = make_url(url.render_as_string(hide_password=False)).set(drivername="postgresql", password=None)
    return env, plain.render_as_string(hide_password=False)


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise _refuse(f"{command[0]} is not on the PATH.", f"找不到 {command[0]}，请先安装 PostgreSQL 客户端。")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise InvalidInput(
            f"{command[0]} failed: {result.stderr.strip()[:500]}",
            message_zh=f"{command[0]} 执行失败：{result.stderr.strip()[:200]}",
            field="path",
        )


def backup(dest: Path, *, now=None) -> Manifest:
    """Write a consistent copy of the database and its manifest into the new directory ``dest``."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise _refuse(f"{dest} exists and is not empty.", f"目标目录 {dest} 已存在且不为空。")
    dialect = db.engine.dialect.name
    dest.mkdir(parents=True, exist_ok=True)
    revision = _revision()
    db.session.rollback()  # end our read: the copy must not wait behind our own transaction
    if dialect == "sqlite":
        counts = _copy_sqlite(dest / SQLITE_FILE)
    elif dialect == "postgresql":
        counts = _dump_postgresql(dest / PG_FILE)
    else:  # pragma: no cover - only the two supported databases
        raise _refuse(f"Cannot back up a {dialect} database.", f"不支持备份 {dialect} 数据库。")
    files = _copy_attachments_out(dest / ATTACHMENTS_DIR)
    manifest = Manifest(
        FORMAT, dialect, revision, clock.isoformat(now or clock.now()), **counts, attachment_files=files
    )
    (dest / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _copy_attachments_out(target: Path) -> int:
    """Every blob of the attachment storage into ``target`` (a folder store, whatever the backend)."""
    from ..attachments.storage import FolderStorage, copy_all, get_storage

    copy_all(get_storage(), FolderStorage(target))
    return sum(1 for _ in FolderStorage(target).list_keys())


def _copy_attachments_in(source: Path) -> int:
    """The backup's blobs back into the attachment storage (those it lacks)."""
    from ..attachments.storage import FolderStorage, copy_all, get_storage

    return copy_all(FolderStorage(source), get_storage()) if source.is_dir() else 0


def _copy_sqlite(target_path: Path) -> dict[str, int]:
    """SQLite's online backup, every page in one step (one consistent snapshot, even in WAL
    mode while others write); the counts are read from the copy itself."""
    source = sqlite3.connect(_sqlite_path(), timeout=30)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        return _counts(lambda sql: target.execute(sql).fetchone()[0])
    finally:
        target.close()
        source.close()


def _dump_postgresql(target_path: Path) -> dict[str, int]:
    """pg_dump from a snapshot exported by a REPEATABLE READ transaction that also counts:
    the counts and the dump see the same rows, whatever commits meanwhile."""
    env, url = _pg_env_and_url()
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
        counts = _counts(lambda sql: conn.scalar(text(sql)))
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
        _run([*command, "-f", str(target_path), url], env)
    return counts


def read_manifest(src: Path) -> Manifest:
    path = Path(src) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise _refuse(f"{src} is not a backup: {exc}", f"{src} 不是有效的备份目录。") from exc
    if manifest.format != FORMAT:
        raise _refuse(f"Unknown backup format {manifest.format}.", "备份格式不受支持。")
    return manifest


def restore(src: Path) -> Manifest:
    """Replace the database's contents with the backup in ``src``; the caller rebuilds the index.

    Refuses a backup of the other dialect, and checks afterwards that the restored database
    holds what the manifest says."""
    src = Path(src)
    manifest = read_manifest(src)
    dialect = db.engine.dialect.name
    if manifest.dialect != dialect:
        raise _refuse(
            f"A {manifest.dialect} backup cannot be restored into {dialect}.",
            f"该备份来自 {manifest.dialect} 数据库，不能恢复到 {dialect} 数据库。",
        )
    db.session.remove()
    if dialect == "sqlite":
        path = src / SQLITE_FILE
        if not path.is_file():
            raise _refuse(f"{path} is missing.", "备份中缺少数据库文件。")
        db.engine.dispose()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(), timeout=30)
        try:
            source.backup(target)  # takes the live file's write lock for the copy
        finally:
            target.close()
            source.close()
    else:
        path = src / PG_FILE
        if not path.is_file():
            raise _refuse(f"{path} is missing.", "备份中缺少数据库文件。")
        db.engine.dispose()
        env, url = _pg_env_and_url()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "-d", url, str(path)], env)
    db.engine.dispose()
    _copy_attachments_in(src / ATTACHMENTS_DIR)
    restored = _live_counts()
    db.session.rollback()
    if restored != manifest.counts():
        raise InvalidInput(
            f"The restored database holds {restored}, the manifest says {manifest.counts()}.",
            message_zh="恢复后的数据与备份清单不符。",
            field="path",
        )
    return manifest
