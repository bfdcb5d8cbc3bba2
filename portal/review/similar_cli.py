"""`portal similar rebuild`: file every ungrouped classified report into groups of similar reports."""

from __future__ import annotations

import argparse
import asyncio
import sys

from portal.review.grouping import group_pending
from portal.settings import Settings
from portal.store.engine import open_store
from portal.store.directory import service_codes


def register(sub) -> None:
    similar = sub.add_parser("similar", help="groups of similar reports")
    commands = similar.add_subparsers(dest="similar_command", required=True)
    rebuild = commands.add_parser(
        "rebuild", help="group the classified reports not yet in a group (safe to run twice; run it from cron)"
    )
    rebuild.add_argument("--service", metavar="CODE", action="append", default=[], help="only this service; repeat for several")
    rebuild.set_defaults(func=cmd_rebuild)


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    try:
        results = asyncio.run(_rebuild(settings, args.service))
    except LookupError as exc:
        print(f"portal similar rebuild: {exc}", file=sys.stderr)
        return 2
    for code, r in results.items():
        print(f"{code}: {r.joined} joined a group, {r.created} new group(s) of {r.grouped} report(s)")
    if not results:
        print("nothing to group")
    return 0


async def _rebuild(settings: Settings, codes: list[str]) -> dict:
    async with open_store(settings):
        services = await service_codes()
        ids = None
        if codes:
            by_code = {code: sid for sid, code in services.items()}
            missing = [c for c in codes if c not in by_code]
            if missing:
                raise LookupError(f"no service with code {', '.join(missing)}")
            ids = [by_code[c] for c in codes]
        return {services[sid]: r for sid, r in (await group_pending(ids)).items()}
