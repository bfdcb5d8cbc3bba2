"""Quality of the heads recipe: 5-fold cross-validation on a labelled CSV plus the seed set.

Each fold trains exactly as `portal train` does (seed + CSV training folds) and scores the texts
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
    from portal.classify.examples import load_labelled_csv, load_seed_examples
    from portal.classify.prepare import prepare_model

    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-data"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--backends", default="onnx-int8,torch")
    args = parser.parse_args()
    examples = load_seed_examples() + load_labelled_csv(args.csv)
    for backend in args.backends.split(","):
        encoder = Encoder(prepare_model(args.data_dir), backend=backend)
        cross_validate(encoder, examples, args.folds)


def cross_validate(encoder, examples, folds: int) -> None:
    import numpy as np

    from portal.classify.train import evaluate, fit_heads

    encoded = encoder.encode([e.text for e in examples])
    rng = np.random.default_rng(0)
    fold_of = rng.permutation(np.arange(len(examples)) % folds)

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
