"""The `portal open-data export DIR` command (its arguments are in portal.public.cli)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from portal.public.open_data import export
from portal.settings import Settings
from portal.store.engine import open_store


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    async def run():
        async with open_store(settings):
            return await export(settings, Path(args.dir))

    for path in asyncio.run(run()):
        print(path)
    return 0
