"""Cosine similarity of the real encoder on same-problem and different-problem pairs; precision and recall per threshold.

The pairs (bench/similarity_pairs.py) are written by hand: two reports to one service, either the
same problem in other words (French, English, typos, no accents) or two different problems of
that service. Grouping wants few wrong merges, so the chosen threshold is the lowest one that keeps
precision >= --min-precision on these pairs; at that point the script also prints recall.

Usage: python bench/similarity.py [--data-dir var/test-model-cache] [--backend onnx-int8]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from similarity_pairs import DIFFERENT, SAME  # noqa: E402

THRESHOLDS = [round(0.80 + 0.01 * i, 2) for i in range(16)]


def scores(encoder, pairs) -> np.ndarray:
    a = encoder.embed([p[1] for p in pairs])
    b = encoder.embed([p[2] for p in pairs])
    return np.sum(a * b, axis=1)  # unit vectors: the dot product is the cosine


def describe(name: str, values: np.ndarray) -> str:
    q = np.percentile(values, [0, 10, 25, 50, 75, 90, 100])
    return (f"{name:<10} n={len(values):>3}  min {q[0]:.3f}  p10 {q[1]:.3f}  p25 {q[2]:.3f}  median {q[3]:.3f}  "
            f"p75 {q[4]:.3f}  p90 {q[5]:.3f}  max {q[6]:.3f}")


def table(same: np.ndarray, different: np.ndarray, same_ok=None, different_ok=None) -> list[dict]:
    """Counts per threshold; *_ok masks drop pairs the sentiment gate keeps apart."""
    same_ok = np.ones(len(same), bool) if same_ok is None else same_ok
    different_ok = np.ones(len(different), bool) if different_ok is None else different_ok
    rows = []
    for t in THRESHOLDS:
        tp, fp = int(((same >= t) & same_ok).sum()), int(((different >= t) & different_ok).sum())
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / len(same)
        rows.append({"threshold": t, "tp": tp, "fp": fp, "precision": precision, "recall": recall,
                     "false_merge_rate": fp / len(different)})
    return rows


def show(title: str, rows: list[dict], n_same: int, n_different: int, min_precision: float) -> None:
    print(f"\n{title}")
    print("threshold  same>=t  diff>=t  precision  recall  false-merge")
    for r in rows:
        print(f"  {r['threshold']:.2f}     {r['tp']:>3}/{n_same:<3} {r['fp']:>3}/{n_different:<3} "
              f"   {r['precision']:.3f}    {r['recall']:.3f}   {r['false_merge_rate']:.3f}")
    safe = [r for r in rows if r["precision"] >= min_precision and r["tp"]]
    if safe:
        pick = min(safe, key=lambda r: r["threshold"])
        print(f"lowest threshold with precision >= {min_precision}: {pick['threshold']:.2f} "
              f"(precision {pick['precision']:.3f}, recall {pick['recall']:.3f})")


def sentiment_gate(data_dir: Path, pairs) -> np.ndarray:
    """True where the shipped classifier does not call one text positive and the other negative."""
    from portal.classify import versions
    from portal.classify.encoder import Encoder
    from portal.classify.heads import Heads
    from portal.classify.infer import Classifier
    from portal.classify.prepare import prepare_model

    heads = Heads.load(versions.SHIPPED_DIR)
    # The heads read features of the backend they were trained on.
    encoder = Encoder(prepare_model(data_dir), backend=getattr(heads, "backend", "torch") or "torch")
    classifier = Classifier(encoder, heads, versions.shipped_version())
    a = [x["sentiment"] for x in classifier.classify([p[1] for p in pairs])]
    b = [x["sentiment"] for x in classifier.classify([p[2] for p in pairs])]
    return np.array([{x, y} != {"positive", "negative"} for x, y in zip(a, b)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "test-model-cache")
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--min-precision", type=float, default=0.95)
    args = parser.parse_args()

    from portal.classify.encoder import Encoder
    from portal.classify.prepare import prepare_model

    started = time.perf_counter()
    encoder = Encoder(prepare_model(args.data_dir), backend=args.backend)
    same, different = scores(encoder, SAME), scores(encoder, DIFFERENT)
    print(f"encoder {encoder.name} ({args.backend}), {len(SAME)} same-problem and {len(DIFFERENT)} "
          f"different-problem pairs, {time.perf_counter() - started:.1f} s")
    print(describe("same", same))
    print(describe("different", different))
    show("cosine alone", table(same, different), len(same), len(different), args.min_precision)
    same_ok, different_ok = sentiment_gate(args.data_dir, SAME), sentiment_gate(args.data_dir, DIFFERENT)
    print(f"\nsentiment gate: {int((~same_ok).sum())} same-problem and {int((~different_ok).sum())} "
          "different-problem pairs have opposite labels (positive/negative) and are never grouped")
    show("cosine + sentiment gate (what portal/review/grouping.py does)",
         table(same, different, same_ok, different_ok), len(same), len(different), args.min_precision)
    worst = sorted(zip(different, DIFFERENT), key=lambda x: -x[0])[:3]
    print("\nhighest different-problem pairs:")
    for s, (_, a, b) in worst:
        print(f"  {s:.3f}  {a[:60]!r} / {b[:60]!r}")
    hardest = sorted(zip(same, SAME), key=lambda x: x[0])[:3]
    print("lowest same-problem pairs:")
    for s, (_, a, b) in hardest:
        print(f"  {s:.3f}  {a[:60]!r} / {b[:60]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
