"""Emerging issues: a rise against the trailing periods, tested on counts, never on tiny numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import mean, pvariance

import numpy as np

from portal.classify import similarity

# No alert below this many items in the period, whatever the test says.
MIN_COUNT = 5
# The period must hold at least this multiple of the trailing mean (effect size, not only significance).
MIN_RATIO = 2.0
# One-sided significance level; a digest tests a handful of topics and groups, so it stays strict.
ALPHA = 0.01
# Leaders tried per scope: bounds the work on a busy period.
MAX_LEADERS = 20
# The most comments of one period the similar-comment groups compare one to one (a matrix of this size
# squared). A busier period is thinned, and its trailing periods alike: one comment in k (by id), k the
# smallest that brings the period under this; group sizes are then the sample's times k. At 10 million rows
# the busiest service's week held 32,000 comments, a 4 GB matrix (docs/capacity.md).
GROUP_SAMPLE = 4000


def thinning(comments: int) -> int:
    """One comment in how many the similar-comment groups read, for a period of this many comments (1: all)."""
    return max(1, math.ceil(comments / GROUP_SAMPLE))


@dataclass(frozen=True)
class Rise:
    current: int
    baseline: tuple[int, ...]
    expected: float
    ratio: float
    p_value: float
    emerging: bool


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (exact, no SciPy needed)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
        for i in range(k, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def rise_test(current: int, baseline: list[int] | tuple[int, ...]) -> Rise:
    """Did `current` rise significantly above the trailing periods' counts?

    Conditional exact test of two Poisson rates: if the period and the k trailing periods share one
    rate, then given the total n, the period's count is Binomial(n, 1/(k+1)). Unlike plugging the
    trailing mean into a Poisson tail, this accounts for the baseline being itself an estimate,
    which matters when the baseline is small. When the trailing counts vary more than a Poisson
    would (variance/mean = phi > 1: seasonality, campaigns), counts are divided by phi first
    (the quasi-Poisson correction), so a noisy topic needs a bigger rise.
    """
    baseline = tuple(int(b) for b in baseline)
    k = max(1, len(baseline))
    expected = sum(baseline) / k
    phi = 1.0
    if len(baseline) >= 2 and expected > 0:
        phi = max(1.0, pvariance(baseline) / mean(baseline))
    scaled_current, scaled_total = round(current / phi), round((current + sum(baseline)) / phi)
    p_value = binomial_upper_tail(scaled_current, scaled_total, 1.0 / (k + 1))
    ratio = current / max(expected, 1.0)
    emerging = current >= MIN_COUNT and ratio >= MIN_RATIO and p_value < ALPHA
    return Rise(current, baseline, round(expected, 2), round(ratio, 2), p_value, emerging)


@dataclass(frozen=True)
class CommentGroup:
    """Comments of the period similar to one leading comment, and the counts of the trailing periods."""

    leader_id: int
    member_ids: tuple[int, ...]
    rise: Rise


def similar_groups(ids: list[int], buckets: list[int], vectors: np.ndarray, current_bucket: int,
                   threshold: float = similarity.THRESHOLD, limit: int = 3) -> list[CommentGroup]:
    """Group the period's comments around leaders and test each group's rise.

    Greedy leader grouping: the comment with the most similar neighbours in the period leads a
    group of those neighbours; they are set aside and the next leader is picked. Each group is then
    counted in every trailing period with the same rule (similarity to the leader), so the period
    and its baseline are measured alike.
    """
    if len(ids) == 0:
        return []
    ids_arr, buckets_arr = np.asarray(ids), np.asarray(buckets)
    current = np.flatnonzero(buckets_arr == current_bucket)
    if len(current) < MIN_COUNT:
        return []
    cur_vectors = vectors[current]
    neighbours = similarity.pairwise(cur_vectors) >= threshold
    remaining = np.ones(len(current), dtype=bool)
    groups: list[CommentGroup] = []
    for _ in range(MAX_LEADERS):
        if len(groups) >= limit:
            break
        counts = (neighbours & remaining[None, :]).sum(axis=1) * remaining
        leader = int(counts.argmax())
        if counts[leader] < MIN_COUNT:
            break
        members = neighbours[leader] & remaining
        remaining &= ~members
        similar = similarity.cosines(vectors, cur_vectors[leader]) >= threshold
        per_bucket = np.bincount(buckets_arr[similar], minlength=current_bucket + 1)
        rise = rise_test(int(per_bucket[current_bucket]), per_bucket[:current_bucket].tolist())
        if rise.emerging:
            groups.append(CommentGroup(int(ids_arr[current[leader]]), tuple(int(i) for i in ids_arr[current[members]]), rise))
        if not remaining.any():
            break
    return groups
