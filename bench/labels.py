"""How far the labels can be trusted: calibration, "to check", and the citizen's rating.

Prints, for the heads recipe of `portal train` on the current encoder:
1. 5-fold cross-validation on a labelled CSV (+ the seed set; the written reviews of
   portal/classify/written/ are in every fold's training rows, unless --no-written), the folds of
   bench/evaluate_classifier.py: sentiment macro-F1, expected calibration error before and after
   temperature scaling (each fold's temperature fitted on out-of-fold predictions of its own
   training rows only), the share of "to check" and the accuracy on either side of the threshold.
2. The rating fusion, cross-validated on the rated examples (portal/classify/rated/): accuracy and
   macro-F1 text only vs text + rating.
3. The clear-cut sets (bench/data/clear_cut_reviews.jsonl, and clear_cut_second_writer.jsonl written
   apart by another writer; never trained on): opposite polarity and neutral shares, text only and with
   the rating; 1-2 rated complaints labelled positive and 5-rated praise labelled negative.

Usage: python bench/labels.py ../shared/data/servicespublics-sample.csv [--data-dir var/test-model-cache]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.classify.calibration import (  # noqa: E402
    CHECK_BELOW, expected_calibration_error, softmax, to_check)
from portal.classify.encoder import Encoder  # noqa: E402
from portal.classify.examples import load_labelled_csv, load_seed_examples, load_written_examples  # noqa: E402
from portal.classify.labels import SENTIMENTS  # noqa: E402
from portal.classify.prepare import prepare_model  # noqa: E402
from portal.classify.rating import fit_fusion, load_rated_examples  # noqa: E402
from portal.classify.train import fit_heads, out_of_fold_temperature  # noqa: E402

CLEAR_CUT_SETS = (ROOT / "bench" / "data" / "clear_cut_reviews.jsonl",
                  ROOT / "bench" / "data" / "clear_cut_second_writer.jsonl")


def sentiment_logits(heads, features):
    return heads.sentiment.logits(features)


def macro_f1(truth, pred):
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, labels=list(range(len(SENTIMENTS))), average="macro", zero_division=0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "test-model-cache")
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--folds", type=int, default=5)

    parser.add_argument("--no-written", action="store_true", help="train without the written reviews")
    args = parser.parse_args()
    scored = load_seed_examples() + load_labelled_csv(args.csv)  # split into folds
    # The written reviews, in every fold's training rows as in `portal train`, never scored.
    examples = scored + ([] if args.no_written else load_written_examples())
    rated = load_rated_examples()
    clear_sets = [[json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                  for path in CLEAR_CUT_SETS]
    clear = [c for one_set in clear_sets for c in one_set]
    encoder = Encoder(prepare_model(args.data_dir), backend=args.backend)
    encoded = encoder.encode([e.text for e in examples] + [r.text for r in rated] + [c["text"] for c in clear])
    n, m = len(examples), len(rated)
    features, embeddings = encoded.features[:n], encoded.embeddings[:n]
    rated_features, clear_features = encoded.features[n:n + m], encoded.features[n + m:]

    # 1. Cross-validated calibration on the labelled CSV rows.
    fold_of = np.concatenate([np.random.default_rng(0).permutation(np.arange(len(scored)) % args.folds),
                              np.full(n - len(scored), -1)])
    raw, calibrated, truth_all = [], [], []
    for fold in range(args.folds):
        mask = fold_of != fold
        heads = fit_heads(examples, features, embeddings, encoder, train_mask=mask)
        temperature = out_of_fold_temperature(examples, features, mask)
        test = [i for i in np.where(~mask)[0] if examples[i].source.startswith("csv") and examples[i].sentiment]
        logits = sentiment_logits(heads, features[test])
        raw.append(softmax(logits))
        calibrated.append(softmax(logits, temperature))
        truth_all.append(np.array([SENTIMENTS.index(examples[i].sentiment) for i in test]))
        print(f"fold {fold + 1}/{args.folds}: temperature {temperature:.2f}", file=sys.stderr)
    raw, calibrated, truth = np.concatenate(raw), np.concatenate(calibrated), np.concatenate(truth_all)
    check = to_check(raw)  # what the classifier shows: its probabilities are not temperature-scaled
    correct = raw.argmax(1) == truth
    print(f"{args.folds}-fold CV on {args.csv.name}, backend {encoder.backend}, {len(truth)} texts")
    print(f"  sentiment macro-F1 {macro_f1(truth, raw.argmax(1)):.3f} (temperature does not change the label)")
    print(f"  expected calibration error: before {expected_calibration_error(raw, truth):.3f}, "
          f"after {expected_calibration_error(calibrated, truth):.3f}")
    print(f"  to check (confidence < {CHECK_BELOW}, as the classifier gives it): {check.mean():.1%}; "
          f"after temperature scaling {to_check(calibrated).mean():.1%}; accuracy of the labels shown "
          f"{correct[~check].mean():.1%}, of those to check {correct[check].mean():.1%}")

    # 2 and 3: heads on everything, probabilities as the classifier gives them (no temperature).
    heads = fit_heads(examples, features, embeddings, encoder)
    rated_probs = heads.sentiment.scores(rated_features)
    rated_truth = np.array([SENTIMENTS.index(r.sentiment) for r in rated])
    ratings = [r.rating for r in rated]
    fused_oof = np.zeros_like(rated_probs)
    rated_fold = np.random.default_rng(2).permutation(np.arange(m) % 5)
    for k in range(5):
        train = rated_fold != k
        fusion = fit_fusion(rated_probs[train], [ratings[i] for i in np.where(train)[0]],
                            [rated[i].sentiment for i in np.where(train)[0]])
        fused_oof[~train] = fusion.combine(rated_probs[~train], [ratings[i] for i in np.where(~train)[0]])
    print(f"rated examples ({m}, 5-fold for the fusion): text only accuracy {np.mean(rated_probs.argmax(1) == rated_truth):.1%} "
          f"macro-F1 {macro_f1(rated_truth, rated_probs.argmax(1)):.3f}; text + rating accuracy "
          f"{np.mean(fused_oof.argmax(1) == rated_truth):.1%} macro-F1 {macro_f1(rated_truth, fused_oof.argmax(1)):.3f}")

    fusion = fit_fusion(rated_probs, ratings, [r.sentiment for r in rated])
    start = 0
    for path, one_set in zip(CLEAR_CUT_SETS, clear_sets):
        report_clear_cut(path.name, one_set, heads, fusion, clear_features[start:start + len(one_set)])
        start += len(one_set)


def report_clear_cut(name_of_set, clear, heads, fusion, clear_features) -> None:
    clear_probs = heads.sentiment.scores(clear_features)
    clear_ratings = [int(c["rating"]) for c in clear]
    clear_fused = fusion.combine(clear_probs, clear_ratings)
    clear_truth = np.array([SENTIMENTS.index(c["sentiment"]) for c in clear])
    neg, neu, pos = (SENTIMENTS.index(s) for s in ("negative", "neutral", "positive"))
    for name, probs in (("text only", clear_probs), ("text + rating", clear_fused)):
        pred = probs.argmax(1)
        opposite = np.mean(((clear_truth == neg) & (pred == pos)) | ((clear_truth == pos) & (pred == neg)))
        neutral = np.mean(pred == neu)
        low_positive = sum(1 for p, r in zip(pred, clear_ratings) if r <= 2 and p == pos)
        five_negative = sum(1 for p, r in zip(pred, clear_ratings) if r == 5 and p == neg)
        print(f"{name_of_set} ({len(clear)}), {name}: opposite polarity {opposite:.1%}, neutral {neutral:.1%}, "
              f"1-2 rated labelled positive {low_positive}, 5 rated labelled negative {five_negative}, "
              f"to check {to_check(probs).mean():.1%}")


if __name__ == "__main__":
    main()
