"""The arguments of `portal retention run [--dry-run]` and `portal privacy find|erase|export` (their code, in
portal.admin.privacy_commands, loads only when they run), and the scheduler's daily retention job."""

from __future__ import annotations

COMMANDS = "portal.admin.privacy_commands"
# The scheduler's daily retention job: (job id, its function, minutes between looks). It runs once a day (it claims
# its day in the store), so looking every hour only catches up a day missed.
RETENTION_JOB = ("privacy:retention", "portal.admin.retention:run_retention_today", 60)


def register(sub) -> None:
    retention = sub.add_parser("retention", help="personal data erased after its period, idle staff accounts deactivated")
    rsub = retention.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run = rsub.add_parser("run", help="do today's retention run now, unless a scheduler already did (once a day)")
    run.add_argument("--dry-run", action="store_true", help="only say what would be erased and deactivated, change nothing")
    run.set_defaults(func=f"{COMMANDS}:cmd_retention")

    privacy = sub.add_parser("privacy", help="a person's data on request: find it, erase it, export it as JSON")
    psub = privacy.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    for name, text in (("find", "say what is linked to an e-mail address or a tracking reference"),
                       ("erase", "erase the personal data linked to it (redacted text and counts stay)"),
                       ("export", "write the personal data linked to it as JSON")):
        action = psub.add_parser(name, help=text)
        action.add_argument("who", metavar="EMAIL_OR_REFERENCE")
        if name == "erase":
            action.add_argument("--yes", action="store_true", help="erase without asking (otherwise: only what would be)")
        if name == "export":
            action.add_argument("--output", "-o", metavar="FILE", help="file to write (default: the standard output)")
        action.set_defaults(func=f"{COMMANDS}:cmd_{name}")
