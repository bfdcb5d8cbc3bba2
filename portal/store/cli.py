"""`portal migrate`: apply the store's migrations."""

from __future__ import annotations

import argparse
import asyncio

from portal.settings import Settings
from portal.store.migrate import apply_migrations


def register(sub) -> None:
    migrate = sub.add_parser("migrate", help="apply pending database migrations (SQLite or PostgreSQL)")
    migrate.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(apply_migrations(settings, quiet=False))
    return 0
