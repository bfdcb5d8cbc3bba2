"""`portal migrate`: apply the store's migrations; `portal backup DIR` and `portal restore FILE`: a copy of the whole
database, and its return into an empty one."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from portal.settings import Settings
from portal.store.backup import BackupProblem, backup, direct_settings, restore, row_counts
from portal.store.engine import open_store
from portal.store.migrate import apply_migrations

DIRECT_URL_HELP = ("the database's direct address, instead of PORTAL_DATABASE_URL (needed when that one is PgBouncer's, "
                   "PORTAL_DATABASE_POOLER=pgbouncer)")


def register(sub) -> None:
    migrate = sub.add_parser("migrate", help="apply pending database migrations (SQLite or PostgreSQL)")
    migrate.set_defaults(func=cmd_migrate)
    saved = sub.add_parser("backup", help="write a copy of the whole database into DIR, while the portal runs")
    saved.add_argument("dir", metavar="DIR", help="folder to write into (created if missing, for its owner only)")
    saved.add_argument("--database-url", metavar="URL", help=DIRECT_URL_HELP)
    saved.set_defaults(func=cmd_backup)
    back = sub.add_parser("restore", help="put a backup made by `portal backup` into the configured, empty database")
    back.add_argument("file", metavar="FILE")
    back.add_argument("--force", action="store_true", help="replace a database that already holds rows")
    back.add_argument("--database-url", metavar="URL", help=DIRECT_URL_HELP)
    back.set_defaults(func=cmd_restore)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(apply_migrations(settings, quiet=False))
    return 0


def counted(settings: Settings) -> dict[str, int]:
    async def work():
        async with open_store(settings):
            return await row_counts()

    return asyncio.run(work())


def _rows(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} {'row' if total == 1 else 'rows'} in {sum(1 for n in counts.values() if n)} tables"


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    try:
        written = backup(direct_settings(settings, args.database_url), Path(args.dir))
    except BackupProblem as exc:
        print(f"no backup written: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {written} ({written.stat().st_size} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    try:
        settings = direct_settings(settings, args.database_url)
    except BackupProblem as exc:
        print(f"nothing restored: {exc}", file=sys.stderr)
        return 2
    before = counted(settings) if settings.is_postgres or settings.sqlite_path.exists() else {}
    if sum(before.values()) and not args.force:
        print(f"nothing restored: the database is not empty ({_rows(before)}); restore into an empty database, "
              "or add --force to replace it", file=sys.stderr)
        return 2
    try:
        restore(settings, Path(args.file))
    except BackupProblem as exc:
        print(f"nothing restored: {exc}", file=sys.stderr)
        return 2
    print(f"restored from {args.file}: {_rows(counted(settings))}")
    return 0
