"""The `portal api-key create|list|revoke` commands (partners' keys for the Open311 endpoint) and the arguments of
`portal open-data export DIR` (its code, in portal.public.commands, loads only when it runs)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from portal.public.open311_keys import KeyNameProblem, issue_key, listed_keys, revoke_key
from portal.settings import Settings
from portal.store.engine import open_store


COMMANDS = "portal.public.commands"
# The scheduler's daily open-data export: (job id, its function, minutes between looks); it runs once a day
# (it claims its day in the store), so looking every half hour only catches up a day missed.
OPEN_DATA_JOB = ("open-data:daily", "portal.public.open_data:export_today", 30)


def register(sub) -> None:
    open_data = sub.add_parser("open-data", help="the open-data files (published feedback, satisfaction, commitments)")
    osub = open_data.add_subparsers(dest="open_data_command", required=True, metavar="ACTION")
    export = osub.add_parser("export", help="write the open-data files and their datapackage.json into DIR now")
    export.add_argument("dir", metavar="DIR", help="folder to write (created if missing; files replaced whole)")
    export.set_defaults(func=f"{COMMANDS}:cmd_export")

    keys = sub.add_parser("api-key", help="partners' API keys for Open311 (create, list, revoke)")
    actions = keys.add_subparsers(dest="api_key_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="issue a key to a partner and print it once (only its hash is kept)")
    create.add_argument("--name", required=True, help="the partner, as administrators will recognise it")
    create.set_defaults(func="portal.public.cli:cmd_create")
    listing = actions.add_parser("list", help="every key: id, partner, first characters, state (never the key)")
    listing.set_defaults(func="portal.public.cli:cmd_list")
    revoke = actions.add_parser("revoke", help="revoke a key by its id (see list); it is refused from then on")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func="portal.public.cli:cmd_revoke")


def _with_store(settings: Settings, work):
    async def runner():
        async with open_store(settings):
            return await work()

    return asyncio.run(runner())


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        issued = _with_store(settings, lambda: issue_key(args.name, None))
    except KeyNameProblem as exc:
        print(f"no key issued: the partner's name is {exc} (at most 100 characters)", file=sys.stderr)
        return 2
    print(f"key {issued.row['id']} for {issued.row['name']} (shown once, only its hash is kept):")
    print(issued.key)
    return 0


def _state(row: dict) -> str:
    if row["revoked_at"]:
        return f"revoked {row['revoked_at']:%Y-%m-%d %H:%M %Z}"
    return f"last used {row['last_used_at']:%Y-%m-%d %H:%M %Z}" if row["last_used_at"] else "never used"


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = _with_store(settings, listed_keys)
    for row in rows:
        print(f"{row['id']:>4}  {row['name']}  {row['prefix']}…  created {row['created_at']:%Y-%m-%d} by {row['created_by']}"
              f"  {_state(row)}")
    if not rows:
        print("no API keys")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    if not _with_store(settings, lambda: revoke_key(args.id, None)):
        print(f"no key {args.id} in use (see `portal api-key list`)", file=sys.stderr)
        return 2
    print(f"key {args.id} revoked")
    return 0
