"""Calibrated confidence: temperature scaling of the sentiment head, its error, and "to check".

A 45 % "positive" must not be shown with the weight of a 99 % one. The sentiment head's logits
are divided by one temperature fitted on out-of-fold predictions of the training data (never on
the texts the figures are reported on), so that a confidence of 0.7 is right about 70 % of the
time. Below CHECK_BELOW the sentiment is shown as "to check" instead of a confident wrong label.
"""

from __future__ import annotations

import numpy as np

# Calibrated confidence under which staff see "to check" rather than the label. Fixed by design
# (a label this unsure is wrong at least four times in ten once calibrated), not tuned on a fold.
CHECK_BELOW = 0.6
TEMPERATURES = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
ECE_BINS = 10


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the true classes (grid search)."""
    logits = np.asarray(logits, dtype=np.float64)
    truth = np.asarray(truth, dtype=int)
    if not len(truth):
        return 1.0
    best, best_nll = 1.0, np.inf
    for t in TEMPERATURES:
        probs = softmax(logits, float(t))
        nll = -np.mean(np.log(np.clip(probs[np.arange(len(truth)), truth], 1e-12, 1.0)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = ECE_BINS) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins, weighted by size."""
    probs = np.asarray(probs, dtype=np.float64)
    truth = np.asarray(truth, dtype=int)
    if not len(truth):
        return 0.0
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == truth
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def to_check(probs: np.ndarray, threshold: float = CHECK_BELOW) -> np.ndarray:
    """Which rows' sentiment is too unsure to show as a label."""
    return np.asarray(probs).max(axis=1) < threshold
