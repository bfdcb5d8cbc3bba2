"""The arguments of `portal open-data export DIR` (its code, in portal.public.commands, loads only when it runs)."""

from __future__ import annotations

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
