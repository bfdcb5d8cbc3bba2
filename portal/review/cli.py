"""The arguments of `portal create-user`, which creates a staff account (administrator, service owner, agent or clerk).

The command runs portal.review.commands.cmd_create_user, imported only when it runs: loading the
accounts module prepares argon2, which `portal --help` does not need.
"""

from __future__ import annotations

from portal.store.core.tables import ROLES


def register(sub) -> None:
    create = sub.add_parser("create-user", help="create a staff account (admin, owner, agent or clerk)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--office", metavar="CODE", help="office code (required for a clerk)")
    create.add_argument("--service", metavar="CODE", action="append", default=[], help="service code (owner, agent); repeat for several")
    create.add_argument(
        "--password-stdin", action="store_true",
        help="read the password from the first line of standard input; otherwise it is asked, or generated and printed",
    )
    create.set_defaults(func="portal.review.commands:cmd_create_user")
