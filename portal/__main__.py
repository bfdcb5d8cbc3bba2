"""The `portal` command: serve, migrate, demo and each feature's own subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from portal.admin.cli import RETENTION_JOB
from portal.process import command_function
from portal.public.cli import OPEN_DATA_JOB
from portal.review.grouping import group_pending
from portal.settings import Settings
from portal.web.logs import configure_logging
from portal.web.metrics import MULTIPROCESS_VARIABLE, share_between_processes

# Each feature contributes its subcommands through a `register(subparsers)` function.
FEATURE_CLIS = (
    "portal.digests.cli",
    "portal.store.cli",
    "portal.classify.cli",
    "portal.review.cli",
    "portal.review.similar_cli",
    "portal.public.cli",
    "counters.cli",
    "portal.admin.cli",
)
# What the root wires into a feature's commands, so that no feature imports another:
# `portal worker` files newly labelled items into groups of similar reports once its queue drains.
# `portal scheduler` also writes the day's open-data files and does the day's retention run.
FEATURE_WIRING = {
    "portal.classify.cli": {"after_drain": group_pending},
    "portal.digests.cli": {"extra_jobs": (OPEN_DATA_JOB, RETENTION_JOB)},
}

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="Guichet, the citizen-feedback portal.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="apply pending migrations and serve the portal")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="web processes sharing the port (default 1); the migrations run once, before they start")
    serve.add_argument("--http", choices=["auto", "httptools", "h11"], default="auto", help="HTTP parser (auto: httptools)")
    serve.add_argument("--loop", choices=["auto", "uvloop", "asyncio"], default="auto", help="event loop (auto: uvloop)")
    serve.set_defaults(func="portal.serve:cmd_serve")

    demo = sub.add_parser(
        "demo",
        help="load demo services, offices and a few hundred feedback items (once)",
        description="Load the demo once; a second run changes nothing. There is no reset option: "
        "to start again, point PORTAL_DATA_DIR (or PORTAL_DATABASE_URL) at a fresh place.",
    )
    demo.add_argument("--count", type=int, default=300, metavar="N", help="number of feedback items (default 300)")
    demo.add_argument("--seed", type=int, default=7, help="random seed, for a reproducible demo")
    demo.set_defaults(func="portal.demo:cmd_demo")

    for module_name in FEATURE_CLIS:
        importlib.import_module(module_name).register(sub, **FEATURE_WIRING.get(module_name, {}))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings)
    # Every process this command is (or starts) counts into the machine's shared folder for /metrics.
    share_between_processes(settings.metrics_path if settings.metrics_dir or MULTIPROCESS_VARIABLE not in os.environ
                            else Path(os.environ[MULTIPROCESS_VARIABLE]))
    try:
        return int(command_function(args.func)(args, settings) or 0)
    except Exception as exc:
        if _is_missing_table(exc):
            print("The database has no tables yet, or misses recent ones: run `portal migrate` first.", file=sys.stderr)
            return 2
        raise


def _is_missing_table(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return "no such table" in text or "UndefinedTable" in text


if __name__ == "__main__":
    sys.exit(main())
