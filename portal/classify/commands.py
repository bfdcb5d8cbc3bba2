"""The `portal model ...` (prepare, finetune, rollback, status, evaluate), `portal classify`, `portal train` and `portal worker` commands (arguments in portal.classify.cli)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from portal.classify import versions
from portal.classify.cli_offline import (run_classify_command, run_finetune_command, run_prepare_command, run_rollback_command,
                                         run_train_command)
from portal.classify.corrections import corrections_from_store
from portal.classify.evaluate import evaluate_file, format_evaluation
from portal.classify.infer import load_classifier
from portal.classify.service import load_configured_classifier
from portal.classify.worker import run_worker
from portal.process import stop_event_on_signals
from portal.settings import Settings
from portal.store.engine import open_store


def _model_dir(settings: Settings) -> Path | None:
    return Path(settings.model_dir) if settings.model_dir else None


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    run_prepare_command(settings.data_dir, check=not args.no_check)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    try:
        run_rollback_command(settings.data_dir)
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    name, folder = versions.current_heads_dir(settings.data_dir)
    metrics_path = folder / versions.METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    print(json.dumps({"version": name, "folder": str(folder), "history": versions.promoted_history(settings.data_dir),
                      "metrics": metrics}, indent=2))
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    if not args.input.is_file():
        print(f"no such file: {args.input}", file=sys.stderr)
        return 2
    run_classify_command(args.input, args.output, settings.data_dir, _model_dir(settings))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    if not args.csv.is_file():
        print(f"no such file: {args.csv}", file=sys.stderr)
        return 2
    classifier = load_classifier(settings.data_dir, _model_dir(settings))
    try:
        result = evaluate_file(classifier, args.csv, text_only=args.text_only)
    except ValueError as exc:
        print(f"portal model evaluate: {exc}", file=sys.stderr)
        return 2
    print(format_evaluation(result, classifier.model_version))
    return 0


async def _read_corrections(settings: Settings) -> list:
    async with open_store(settings):
        return await corrections_from_store()


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    missing = [p for p in args.csv if not p.is_file()]
    if missing:
        print(f"no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    corrections = [] if args.no_corrections else asyncio.run(_read_corrections(settings))
    print(f"{len(corrections)} staff corrections from the store", file=sys.stderr)
    result = run_train_command(settings.data_dir, args.csv, corrections, _model_dir(settings))
    return 0 if result.promoted else 3


def cmd_finetune(args: argparse.Namespace, settings: Settings) -> int:
    missing = [p for p in args.csv if not p.is_file()]
    if missing:
        print(f"no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if args.epochs is not None and not 1 <= args.epochs <= 50:
        print("--epochs must be between 1 and 50", file=sys.stderr)
        return 2
    if settings.model_dir:
        print("portal model finetune adapts the bundled encoder; PORTAL_MODEL_DIR names another one", file=sys.stderr)
        return 2
    corrections = [] if args.no_corrections else asyncio.run(_read_corrections(settings))
    print(f"{len(corrections)} staff corrections from the store", file=sys.stderr)
    result = run_finetune_command(settings.data_dir, args.csv, corrections, epochs=args.epochs, method=args.method)
    return 0 if result.promoted else 3


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
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
