"""The arguments of `portal digests subscribe|list|remove|run-due|preview` and `portal scheduler`.

Each command runs a function of portal.digests.commands, named here and imported only when it
runs: that module loads the scheduler, the templates and mail, which `portal --help` does not need.
"""

from __future__ import annotations

COMMANDS = "portal.digests.commands"


def register(sub, extra_jobs: tuple = ()) -> None:
    scheduler = sub.add_parser("scheduler", help="run the digest scheduler (and the daily open-data export) as its own process")
    scheduler.set_defaults(func=f"{COMMANDS}:cmd_scheduler", extra_jobs=extra_jobs)

    digests = sub.add_parser("digests", help="digest subscriptions, sending and previews")
    dsub = digests.add_subparsers(dest="digests_command", required=True, metavar="ACTION")
    add = dsub.add_parser("subscribe", help="subscribe an owner to a digest")
    add.add_argument("--owner", required=True, metavar="EMAIL")
    add.add_argument("--services", default="", metavar="CODES", help="comma-separated service codes, among the owner's (default: every service the owner owns)")
    add.add_argument("--frequency", choices=("weekly", "daily", "monthly"), default="weekly")
    add.add_argument("--weekday", default="mon", help="weekly digests: mon..sun (default mon)")
    add.add_argument("--time", default="08:00", metavar="HH:MM", help="local sending time (default 08:00)")
    add.add_argument("--tz", default="Europe/Paris", metavar="ZONE", help="time zone (default Europe/Paris)")
    add.add_argument("--language", choices=("fr", "en"), default="fr")
    add.set_defaults(func=f"{COMMANDS}:cmd_subscribe")
    show = dsub.add_parser("list", help="list subscriptions")
    show.add_argument("--owner", metavar="EMAIL")
    show.set_defaults(func=f"{COMMANDS}:cmd_list")
    remove = dsub.add_parser("remove", help="remove a subscription (sent digests stay archived)")
    remove.add_argument("id", type=int)
    remove.set_defaults(func=f"{COMMANDS}:cmd_remove")
    due = dsub.add_parser("run-due", help="send every digest that is due, once (safe to run again or concurrently)")
    due.set_defaults(func=f"{COMMANDS}:cmd_run_due")
    preview = dsub.add_parser("preview", help="write a digest to a file or stdout without sending it")
    preview.add_argument("--owner", required=True, metavar="EMAIL")
    preview.add_argument("--period", default="last", metavar="P", help="last, current, 2026-W47, 2026-11-20 or 2026-11")
    preview.add_argument("--output", "-o", metavar="FILE", help="HTML file to write (default: stdout); the text part goes next to it as .txt")
    preview.add_argument("--text", action="store_true", help="write the plain-text part instead of the HTML")
    preview.set_defaults(func=f"{COMMANDS}:cmd_preview")
