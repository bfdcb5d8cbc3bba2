"""Similar-report grouping on real data: group purity and sizes for a few thresholds, as the portal files them.

Each `administration` of the Services Publics+ sample stands for one service; every experience is
encoded by the portal's encoder (with its adaptation, when the data dir has one) and filed by
`portal.review.grouping.plan_filing`, the function the worker runs, at each threshold. No gold
groups exist, so purity is read from the authors' own labels: a group is pure on "problem" when its
members share the quality dimension they rated worst (access, information, relation,
responsiveness, simplicity; "none" when they rated none negative), and on sentiment when they
share their overall feeling. Purity is the share of grouped reports that agree with their group's
majority. `--show N` prints the N largest groups' member titles at the current threshold, to read
what a group mixes (the texts are printed, never written to the repository).

Usage: python bench/grouping.py ../shared/data/servicespublics-sample.csv [--data-dir var/test-model-cache]
       [--thresholds 0.86,0.88,0.90,0.92,0.94] [--show 5]
"""

import argparse
import csv
import datetime as dt
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.classify import similarity  # noqa: E402
from portal.classify.infer import load_classifier  # noqa: E402
from portal.review import grouping  # noqa: E402

CURRENT = similarity.THRESHOLD  # the portal's threshold, before the runs below change the module's value
ASPECTS = ("access", "information", "relation", "responsiveness", "simplicity")
RANK = {"negative": 0, "neutral": 1, "positive": 2}


def worst_aspect(row: dict) -> str:
    rated = [(RANK[row[f"aspect_{a}"]], a) for a in ASPECTS if row.get(f"aspect_{a}") in RANK]
    worst = min(rated, default=None)
    return worst[1] if worst and worst[0] == 0 else "none"


def purity(groups: list[list[int]], label) -> float:
    agreeing = sum(Counter(label(i) for i in g).most_common(1)[0][1] for g in groups)
    return agreeing / max(1, sum(len(g) for g in groups))


def file_all(rows: list[dict], vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Groups (lists of row indexes) as the worker files them, service by service, at this threshold."""
    similarity.THRESHOLD = threshold
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    by_service: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_service[row["administration"]].append(i)
    groups: list[list[int]] = []
    for indexes in by_service.values():
        items = [{"id": i, "sentiment": rows[i]["sentiment"], "text": rows[i]["title"],
                  "embedding": vectors[i].astype(np.float32).tobytes()} for i in indexes]
        filing = grouping.plan_filing(items, [], since)
        placed = {id(g): [i for i, _ in g.members] for g in filing.new_groups}
        for key, i, _score in filing.joins:
            placed[id(key)].append(i)
        groups += placed.values()
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "test-model-cache")
    parser.add_argument("--thresholds", default="0.86,0.88,0.90,0.92,0.94")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    with args.csv.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("description") or "").strip()]
    classifier = load_classifier(args.data_dir)
    started = time.perf_counter()
    texts = [f"{r['title']}. {r['description']}" for r in rows]
    vectors = classifier.encoder.encode(texts).embeddings
    print(f"{len(rows)} experiences, {len({r['administration'] for r in rows})} services, "
          f"encoded by {classifier.model_version} in {time.perf_counter() - started:.0f} s")
    print(f"{'threshold':>9} {'groups':>6} {'grouped':>7} {'median':>6} {'largest':>7} {'problem purity':>14} "
          f"{'sentiment purity':>16}")
    for threshold in [float(t) for t in args.thresholds.split(",")]:
        groups = file_all(rows, vectors, threshold)
        sizes = [len(g) for g in groups]
        print(f"{threshold:>9.2f} {len(groups):>6} {sum(sizes):>7} {statistics.median(sizes) if sizes else 0:>6} "
              f"{max(sizes, default=0):>7} {purity(groups, lambda i: worst_aspect(rows[i])):>14.2f} "
              f"{purity(groups, lambda i: rows[i]['sentiment']):>16.2f}")
    if args.show:
        for g in sorted(file_all(rows, vectors, CURRENT), key=len, reverse=True)[:args.show]:
            print(f"\n{len(g)} reports:")
            for i in g:
                print(f"  [{rows[i]['sentiment']}, worst: {worst_aspect(rows[i])}] {rows[i]['title'][:100]}")


if __name__ == "__main__":
    main()
