"""The `counters` command: offices, kiosks, and the button-box agent."""

from __future__ import annotations

import argparse
import logging
import sys

from counters import cli
from counters.agent import run_agent
from portal.process import command_function
from portal.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counters", description="Guichet counters: offices, kiosks and button boxes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli.register(sub)
    agent = sub.add_parser("agent", help="run a button box: read key presses, queue them locally, send them")
    agent.add_argument("--server", required=True, help="the portal's address, e.g. https://avis.example.fr")
    agent.add_argument("--enrol", metavar="CODE", help="enrolment code from `portal kiosk enrol OFFICE --kind buttons`")
    agent.add_argument("--state", default="counters-agent.db", help="local SQLite file holding the token and the queue")
    agent.add_argument("--keys", type=int, choices=(4, 5), default=4, help="keys on the box: 4 (ratings 1,2,4,5) or 5")
    agent.add_argument("--min-gap-ms", type=int, default=1500, help="presses closer than this are ignored")
    agent.add_argument("--stdin", action="store_true", help="read one key per line from standard input")
    agent.add_argument("--batch", type=int, default=500, help="presses per request (at most 500)")
    agent.add_argument("--max-backoff", type=float, default=60.0, help="longest wait between tries, in seconds")
    agent.add_argument("--exit-when-empty", action="store_true", help="stop once input has ended and the queue is sent")
    agent.set_defaults(func=cmd_agent, needs_settings=False)
    return parser


def cmd_agent(args: argparse.Namespace, settings: Settings | None) -> int:
    return run_agent(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The agent runs on a small PC at the counter: it needs no portal settings or database.
    settings = None if getattr(args, "needs_settings", True) is False else Settings.from_env()
    level = settings.log_level if settings else "INFO"
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(command_function(args.func)(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
