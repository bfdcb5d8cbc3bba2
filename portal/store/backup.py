"""`portal backup DIR` and `portal restore FILE`: a whole copy of the database while the portal runs, and its return.

SQLite: the online backup API (`sqlite3.Connection.backup`), a consistent copy even while others write. PostgreSQL:
`pg_dump` in its custom format and `pg_restore`, both found on PATH. A restore goes into an empty database (no row in
any of the portal's tables) unless forced; the file's kind must match the database's.

The copy holds every citizen's personal data: a folder it creates is the owner's only (0700) and every file written
is 0600. A password in the database address goes to the tools in their environment (PGPASSWORD), never on their
command line (which any user of the machine sees in `ps`). Through PgBouncer in transaction mode pg_dump is unsafe:
with PORTAL_DATABASE_POOLER=pgbouncer a direct address must be given (`--database-url`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

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


def direct_settings(settings: Settings, database_url: str | None) -> Settings:
    """The settings a backup or a restore connects with: `database_url` (a direct address) when given; refused when
    PORTAL_DATABASE_POOLER says PORTAL_DATABASE_URL is PgBouncer's and no direct address is given."""
    if database_url:
        return dataclasses.replace(settings, database_url=database_url, database_pooler="", database_replica_url="")
    if settings.is_postgres and settings.database_pooler == "pgbouncer":
        raise BackupProblem("PORTAL_DATABASE_POOLER is pgbouncer, so PORTAL_DATABASE_URL points at PgBouncer, through "
                            "which pg_dump and pg_restore are unsafe: give the database's direct address with "
                            "--database-url postgresql://user@host:5432/db")
    return settings


def tool_connection(url: str) -> tuple[str, dict[str, str]]:
    """The address for pg_dump/pg_restore without its password, and the environment that carries the password."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = unquote(parts.password)
    user = parts.netloc.rpartition("@")[0].partition(":")[0]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), env


def _private_file(path: Path) -> None:
    """Create `path` empty, readable and writable by its owner only (before any data goes in)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        # The tool's own words, without the command line (it holds the database address, maybe a password).
        raise BackupProblem(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(settings: Settings, folder: Path, now: dt.datetime | None = None) -> Path:
    """Write a copy of the whole database into `folder` (created 0700 if missing); returns the file written (0600).
    Nothing is left behind when it fails."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = _stamp(now or dt.datetime.now(dt.timezone.utc))
    suffix = PG_SUFFIX if settings.is_postgres else SQLITE_SUFFIX
    target = folder / f"guichet-{stamp}{suffix}"
    partial = target.with_name(target.name + ".partial")
    if not settings.is_postgres and not settings.sqlite_path.exists():
        raise BackupProblem(f"no database at {settings.sqlite_path}")
    _private_file(partial)
    try:
        if settings.is_postgres:
            url, env = tool_connection(settings.database_url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={url}"], env)
        else:
            _sqlite_copy(settings.sqlite_path, partial)
        os.chmod(partial, 0o600)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)  # gone already when it became the target
    return target


def _sqlite_copy(source_path: Path, partial: Path) -> None:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        with copy:
            source.backup(copy)
    except sqlite3.Error as exc:
        raise BackupProblem(f"the copy of {source_path} failed: {exc}") from exc
    finally:
        copy.close()
        source.close()


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
        url, env = tool_connection(settings.database_url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
              f"--dbname={url}", str(file)], env)
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
