"""The arguments of `portal office ...` and `portal kiosk ...` (also `counters office|kiosk ...`).

Each command runs a function of counters.commands, named here and imported only when it runs:
that module opens the store, which `counters agent` on a button box never needs.
"""

from __future__ import annotations

COMMANDS = "counters.commands"


def register(sub) -> None:
    office = sub.add_parser("office", help="offices: add, change, list").add_subparsers(dest="office_command", required=True, metavar="ACTION")
    add = office.add_parser("add", help="add an office")
    add.add_argument("code", help="short code, e.g. mairie-lyon-3")
    add.add_argument("--name", required=True)
    add.add_argument("--address", default="")
    add.add_argument("--hours", default="", help='opening hours, e.g. "lun-ven 8h30-17h"')
    add.add_argument("--service", action="append", default=[], help="code of a service it serves (repeat)")
    add.set_defaults(func=f"{COMMANDS}:cmd_office_add")
    change = office.add_parser("change", help="change an office's details or services")
    change.add_argument("office", help="office code or id")
    change.add_argument("--name")
    change.add_argument("--address")
    change.add_argument("--hours")
    change.add_argument("--add-service", action="append", default=[])
    change.add_argument("--remove-service", action="append", default=[])
    change.set_defaults(func=f"{COMMANDS}:cmd_office_change")
    office.add_parser("list", help="list offices and their services").set_defaults(func=f"{COMMANDS}:cmd_office_list")

    kiosk = sub.add_parser("kiosk", help="counter devices: enrol, list, revoke").add_subparsers(dest="kiosk_command", required=True, metavar="ACTION")
    enrol = kiosk.add_parser("enrol", help="create a kiosk (or button box) for an office and print its one-time code")
    enrol.add_argument("office", help="office code or id")
    enrol.add_argument("--name", default="")
    enrol.add_argument("--kind", choices=("kiosk", "buttons"), default="kiosk")
    enrol.add_argument("--service", help="the service the kiosk asks about (default: the office's first)")
    enrol.add_argument("--faces", type=int, choices=(4, 5), default=5)
    enrol.add_argument("--idle-reset", type=int, default=30, help="seconds before an unfinished visit resets")
    enrol.add_argument("--min-gap-ms", type=int, default=1500, help="presses closer than this are ignored")
    enrol.add_argument("--valid-hours", type=int, default=24, help="how long the code can be used")
    enrol.add_argument("--language", choices=("fr", "en"), default="fr", help="the language the screen starts in (visitors can switch)")
    enrol.set_defaults(func=f"{COMMANDS}:cmd_kiosk_enrol")
    language = kiosk.add_parser("set-language", help="the language a device's screen starts in (visitors can switch)")
    language.add_argument("id", type=int)
    language.add_argument("language", choices=("fr", "en"))
    language.set_defaults(func=f"{COMMANDS}:cmd_kiosk_set_language")
    again = kiosk.add_parser("new-code", help="a new enrolment code for an existing device (new tablet, after a revocation)")
    again.add_argument("id", type=int)
    again.add_argument("--valid-hours", type=int, default=24)
    again.set_defaults(func=f"{COMMANDS}:cmd_kiosk_new_code")
    listing = kiosk.add_parser("list", help="list devices")
    listing.add_argument("--office")
    listing.set_defaults(func=f"{COMMANDS}:cmd_kiosk_list")
    revoke = kiosk.add_parser("revoke", help="revoke a device's token at once (it keeps its queue)")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=f"{COMMANDS}:cmd_kiosk_revoke")
