"""Applying the store's Piccolo migrations, on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards

from portal.store.engine import bind_engine, build_engine, close_engine, open_engine
from portal.settings import Settings


async def apply_migrations(settings: Settings, quiet: bool = True) -> None:
    """Apply every pending migration; safe to run again (already applied ones are skipped)."""
    engine = bind_engine(build_engine(settings))
    await open_engine(engine, pool_size=2)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
            response = await run_forwards(app_name="all", migration_id="all", fake=False)
        if not response.success:
            raise RuntimeError(f"migrations failed: {response.message}\n{out.getvalue()}")
    finally:
        await close_engine(engine)
