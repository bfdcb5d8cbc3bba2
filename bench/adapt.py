"""Frozen heads vs each way of adapting the encoder, on the same cross-validation folds.

For each method and each fold asked for: the encoder is adapted on the training rows (seed set +
the other folds of the CSV), the heads of `portal train` are refitted on its features, and both are
scored on the fold's CSV rows, through float32 torch and through the int8 ONNX graph made from the
adapted weights. Also printed: training minutes, held-out F1 per minute of training, and the
sentiment F1 of the fine-tuning's own sentiment layer (multi-task methods) for comparison.

The folds are those of bench/labels.py and bench/evaluate_classifier.py (seed + CSV rows, 5 folds,
numpy seed 0). Recipes are fixed in portal/classify/finetune.py DEFAULT_RECIPES; nothing here is
tuned on the folds it reports.

Usage: python bench/adapt.py ../shared/data/servicespublics-sample.csv --methods frozen,full,lora,setfit --folds 0
       [--data-dir var/test-model-cache] [--json results.jsonl]
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.classify.adapter import model_weights, read_weights, write_model_folder  # noqa: E402
from portal.classify.calibration import expected_calibration_error, softmax, to_check  # noqa: E402
from portal.classify.encoder import Encoder  # noqa: E402
from portal.classify.examples import load_labelled_csv, load_seed_examples  # noqa: E402
from portal.classify.finetune import DEFAULT_RECIPES, adapt_encoder  # noqa: E402
from portal.classify.prepare import prepare_base_model  # noqa: E402
from portal.classify.labels import SENTIMENTS  # noqa: E402
from portal.classify.train import evaluate, fit_heads, out_of_fold_temperature  # noqa: E402

FOLDS = 5


def score(folder: Path, backend: str, examples, train_mask, test_rows, accelerated_dir: Path | None = None) -> dict:
    encoder = Encoder(folder, backend=backend, accelerated_dir=accelerated_dir)
    encoded = encoder.encode([e.text for e in examples])
    heads = fit_heads(examples, encoded.features, encoded.embeddings, encoder, train_mask=train_mask)
    metrics = evaluate(heads, [examples[i] for i in test_rows], encoded.features[test_rows])
    # Calibration of the sentiment as shown (no temperature), and with a temperature fitted out of fold
    # on the training rows only.
    logits = heads.sentiment.logits(encoded.features[test_rows])
    truth = np.array([SENTIMENTS.index(examples[i].sentiment) for i in test_rows])
    probs = softmax(logits)
    temperature = out_of_fold_temperature(examples, encoded.features, train_mask)
    check = to_check(probs)
    right = probs.argmax(1) == truth
    return {"sentiment": metrics["sentiment"]["macro_f1"], "topics": metrics["topics"]["macro_f1"],
            "ece": expected_calibration_error(probs, truth),
            "ece_temperature": expected_calibration_error(softmax(logits, temperature), truth),
            "to_check": float(check.mean()), "right_shown": float(right[~check].mean()) if (~check).any() else None,
            "right_to_check": float(right[check].mean()) if check.any() else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "test-model-cache")
    parser.add_argument("--methods", default="frozen,full,lora,setfit")
    parser.add_argument("--folds", default="0,1,2,3,4", help="which of the 5 folds to run, comma-separated")
    parser.add_argument("--json", type=Path, default=None, help="append one JSON line per run")
    parser.add_argument("--no-int8", action="store_true")
    parser.add_argument("--no-float32", action="store_true", help="score through the int8 graph only")
    args = parser.parse_args()

    examples = load_seed_examples() + load_labelled_csv(args.csv)
    n = len(examples)
    fold_of = np.random.default_rng(0).permutation(np.arange(n) % FOLDS)
    base_dir = prepare_base_model(args.data_dir)
    base = read_weights(base_dir)
    work = args.data_dir / "bench-adapt"
    backends = ([] if args.no_float32 else ["torch"]) + ([] if args.no_int8 else ["onnx-int8"])
    for fold in (int(f) for f in args.folds.split(",")):
        train_mask = fold_of != fold
        test_rows = [i for i in np.where(~train_mask)[0] if examples[i].source.startswith("csv") and examples[i].sentiment]
        train_examples = [e for e, m in zip(examples, train_mask) if m]
        for method in args.methods.split(","):
            row = {"method": method, "fold": fold, "train": len(train_examples), "test": len(test_rows)}
            if method == "frozen":
                folder, minutes = base_dir, 0.0
            else:
                recipe = DEFAULT_RECIPES[method]
                last = [0.0]

                def progress(p, method=method, last=last):
                    if time.monotonic() - last[0] > 30 or p.step == p.steps:
                        last[0] = time.monotonic()
                        print(f"  {method} fold {fold}: step {p.step}/{p.steps}, loss {p.loss:.3f}, "
                              f"{p.elapsed / 60:.1f} min, ETA {p.eta / 60:.1f} min", file=sys.stderr, flush=True)

                result = adapt_encoder(base_dir, train_examples, recipe, on_step=progress)
                minutes = result.seconds / 60
                adapted = model_weights(result.model)
                folder = work / f"{method}-fold{fold}"
                shutil.rmtree(folder, ignore_errors=True)
                write_model_folder(base_dir, folder, {k: adapted[k] for k in base})
                row["steps"] = result.steps
                row["final_loss"] = float(np.mean(result.losses[-10:]))
                del result, adapted
            row["train_minutes"] = round(minutes, 2)
            for backend in backends:
                scored = score(folder, backend, examples, train_mask, test_rows,
                               accelerated_dir=work / "onnx" / folder.name if folder != base_dir else None)
                row[backend] = scored
            print(json.dumps(row), flush=True)
            if args.json:
                with args.json.open("a") as f:
                    f.write(json.dumps(row) + "\n")
            if folder != base_dir:
                shutil.rmtree(folder, ignore_errors=True)
                shutil.rmtree(work / "onnx" / folder.name, ignore_errors=True)


if __name__ == "__main__":
    main()
