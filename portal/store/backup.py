"""`portal backup DIR` and `portal restore FILE`: a whole copy of the database while the portal runs, and its return.

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent copy even while others write. PostgreSQL:
`pg_dump` in its custom format and `pg_restore`, both found on PATH. A restore goes into an empty database (no row in
any of the portal's tables) unless forced; the file's kind must match the database's.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
from pathlib import Path

from portal.settings import Settings
from portal.store.schema import ALL_TABLES

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
SQLITE_SUFFIX, PG_SUFFIX = ".sqlite3", ".pgdump"


class BackupProblem(Exception):
    """Why a backup or a restore could not be done, in words for the person who ran it."""


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupProblem(f"{name} is not on PATH: install the PostgreSQL client tools (the postgresql-client package)")
    return path


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        # The tool's own words, without the command line (it holds the database address, maybe a password).
        raise BackupProblem(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, folder: Path, now: dt.datetime | None = None) -> Path:
    """Write a copy of the whole database into `folder` (created if missing); returns the file written."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(now or dt.datetime.now(dt.timezone.utc))
    if settings.is_postgres:
        target = folder / f"guichet-{stamp}{PG_SUFFIX}"
        partial = target.with_name(target.name + ".partial")
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={settings.database_url}"])
        partial.replace(target)
        return target
    source_path = settings.sqlite_path
    if not source_path.exists():
        raise BackupProblem(f"no database at {source_path}")
    target = folder / f"guichet-{stamp}{SQLITE_SUFFIX}"
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    partial.replace(target)
    return target


def kind_of(file: Path) -> str:
    """"sqlite" or "postgres", from the file's first bytes."""
    with file.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgres"
    raise BackupProblem(f"{file} is neither an SQLite database nor a pg_dump custom-format file")


def restore(settings: Settings, file: Path) -> None:
    """Put the database in `file` in place of the configured one (the caller checked that one is empty)."""
    if not file.is_file():
        raise BackupProblem(f"no file {file}")
    kind = kind_of(file)
    wanted = "postgres" if settings.is_postgres else "sqlite"
    if kind != wanted:
        raise BackupProblem(f"{file} is a backup of a {kind} database, and PORTAL_DATABASE_URL names a {wanted} one")
    if settings.is_postgres:
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              f"--dbname={settings.database_url}", str(file)])
        return
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    target = sqlite3.connect(settings.sqlite_path)
    try:
        with target:
            source.backup(target)  # the whole database replaced, pages and schema
    finally:
        target.close()
        source.close()


async def row_counts() -> dict[str, int]:
    """{table: rows} for every table of the portal (a table not created yet counts 0)."""
    counts = {}
    for table in ALL_TABLES:
        try:
            counts[table._meta.tablename] = await table.count()
        except Exception as exc:  # noqa: BLE001 - only a missing table is expected here
            if "no such table" not in str(exc) and "does not exist" not in str(exc):
                raise
            counts[table._meta.tablename] = 0
    return counts
