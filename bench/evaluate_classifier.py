"""Quality of the heads recipe: 5-fold cross-validation on a labelled CSV plus the seed set.

Each fold trains exactly as `portal train` does (seed + CSV training folds, and every written review of
portal/classify/written/ at its reduced weight; `--no-written` leaves them out) and scores the texts
of the held-out fold: sentiment macro-F1 and topic presence macro-F1 on the CSV rows (the five
aspect_* columns, non-empty = present), and the same figures on the English seed examples.
Each backend gets heads trained on its own features, with the same folds, in one run.

Usage: python bench/evaluate_classifier.py ../shared/data/servicespublics-sample.csv [--data-dir var/bench-data]
       [--backends onnx-int8,torch]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from portal.classify.encoder import Encoder
    from portal.classify.examples import load_labelled_csv, load_seed_examples, load_written_examples
    from portal.classify.prepare import prepare_model

    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-data"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--backends", default="onnx-int8,torch")
    parser.add_argument("--no-written", action="store_true", help="train without the written reviews")
    args = parser.parse_args()
    examples = load_seed_examples() + load_labelled_csv(args.csv)
    always_trained = [] if args.no_written else load_written_examples()
    for backend in args.backends.split(","):
        encoder = Encoder(prepare_model(args.data_dir), backend=backend)
        cross_validate(encoder, examples, args.folds, always_trained)


def cross_validate(encoder, examples, folds: int, always_trained=()) -> None:
    """The folds split `examples` (numpy seed 0); `always_trained` are in every fold's training rows, never scored."""
    import numpy as np

    from portal.classify.train import evaluate, fit_heads

    rng = np.random.default_rng(0)
    fold_of = np.concatenate([rng.permutation(np.arange(len(examples)) % folds), np.full(len(always_trained), -1)])
    examples = list(examples) + list(always_trained)
    encoded = encoder.encode([e.text for e in examples])

    groups = {
        "csv": lambda e: e.source.startswith("csv"),
        "seed-en": lambda e: e.source == "seed:en",
        "seed-fr": lambda e: e.source == "seed:fr",
    }
    collected = {name: [] for name in groups}
    for fold in range(folds):
        train_mask = fold_of != fold
        heads = fit_heads(examples, encoded.features, encoded.embeddings, encoder, train_mask=train_mask)
        for name, member in groups.items():
            rows = [i for i in np.where(~train_mask)[0] if member(examples[i])]
            collected[name].append(evaluate(heads, [examples[i] for i in rows], encoded.features[rows]))
        print(f"{encoder.backend}: fold {fold + 1}/{folds} done", file=sys.stderr)

    print(f"{folds}-fold cross-validation, backend {encoder.backend}, feature layers {encoder.feature_layers}")
    for name, results in collected.items():
        sentiment = [r["sentiment"]["macro_f1"] for r in results if "sentiment" in r]
        topics = [r["topics"]["macro_f1"] for r in results if r.get("topics", {}).get("macro_f1")]
        line = f"{name:8} n={sum(r['examples'] for r in results):4d}  sentiment macro-F1 {np.mean(sentiment):.3f} " \
               f"(±{np.std(sentiment):.3f})  topic macro-F1 {np.mean(topics):.3f} (±{np.std(topics):.3f})"
        per_topic = {}
        for r in results:
            for k, v in r.get("topics", {}).items():
                if k != "macro_f1":
                    per_topic.setdefault(k, []).append(v)
        print(line)
        print("         per topic: " + ", ".join(f"{k} {np.mean(v):.2f}" for k, v in per_topic.items()))
        extra = {k: [r[k]["f1"] for r in results if k in r] for k in ("urgent", "abusive", "spam")}
        if any(extra.values()):
            print("         " + ", ".join(f"{k} F1 {np.mean(v):.2f}" for k, v in extra.items() if v))


if __name__ == "__main__":
    main()
