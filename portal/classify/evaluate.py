"""`portal model evaluate CSV`: how the current model labels feedback whose sentiment is known.

For a CSV in the Services Publics+ format (title, description, sentiment, aspect_* columns) or
`text,sentiment[,rating]`: per-label precision, recall and F1, the confusion matrix, the expected
calibration error, the share of "to check", and the topics' scores when the file has aspects.
A `rating` column is combined with the text as the worker does; `text_only` ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.classify.calibration import expected_calibration_error
from portal.classify.examples import load_labelled_csv
from portal.classify.infer import Classifier
from portal.classify.labels import SENTIMENTS


@dataclass
class LabelScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    texts: int
    rated: int  # texts whose rating was combined with the text
    sentiment: dict[str, LabelScores]
    macro_f1: float
    confusion: list[list[int]]  # rows: the truth, columns: the label given, both in SENTIMENTS order
    calibration_error: float
    to_check: float  # share of texts labelled "to check"
    topics: dict[str, LabelScores]


def scores(truth: np.ndarray, predicted: np.ndarray) -> LabelScores:
    """Precision, recall and F1 of one yes/no label."""
    hits = int(np.sum(truth & predicted))
    precision = hits / max(int(predicted.sum()), 1)
    recall = hits / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LabelScores(precision, recall, f1, int(truth.sum()))


def evaluate_file(classifier: Classifier, path: Path, *, text_only: bool = False, batch_size: int = 32) -> Evaluation:
    """Label every text of the file that has a sentiment and compare with it."""
    examples = [e for e in load_labelled_csv(Path(path)) if e.sentiment is not None]
    if not examples:
        raise ValueError(f"{path}: no row with a text and a sentiment (negative, neutral or positive)")
    ratings = [None if text_only else e.rating for e in examples]
    labels = []
    for start in range(0, len(examples), batch_size):
        batch = examples[start:start + batch_size]
        labels += classifier.classify([e.text for e in batch], batch_size=batch_size,
                                      ratings=ratings[start:start + batch_size])
    truth = np.array([SENTIMENTS.index(e.sentiment) for e in examples])
    predicted = np.array([SENTIMENTS.index(label["sentiment"]) for label in labels])
    probs = np.array([[label["sentiment_scores"][s] for s in SENTIMENTS] for label in labels])
    per_label = {s: scores(truth == k, predicted == k) for k, s in enumerate(SENTIMENTS)}
    confusion = [[int(np.sum((truth == i) & (predicted == j))) for j in range(len(SENTIMENTS))]
                 for i in range(len(SENTIMENTS))]
    topics = {}
    for name in sorted({t for e in examples for t in e.topics}):
        rows = [i for i, e in enumerate(examples) if name in e.topics]
        known = np.array([examples[i].topics[name] for i in rows])
        given = np.array([name in labels[i]["topics"] for i in rows])
        if known.any():
            topics[name] = scores(known, given)
    return Evaluation(
        texts=len(examples), rated=sum(1 for r in ratings if r is not None), sentiment=per_label,
        macro_f1=float(np.mean([v.f1 for v in per_label.values()])), confusion=confusion,
        calibration_error=expected_calibration_error(probs, truth),
        to_check=float(np.mean([label["to_check"] for label in labels])), topics=topics,
    )


def format_evaluation(result: Evaluation, model_version: str) -> str:
    """The report `portal model evaluate` prints."""
    lines = [f"model {model_version}: {result.texts} texts, {result.rated} with a rating combined with the text", "",
             f"{'sentiment':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'texts':>7}"]
    for name, s in result.sentiment.items():
        lines.append(f"{name:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>7d}")
    lines += [f"{'macro-F1':<16}{'':>18}{result.macro_f1:>7.3f}", "",
              "confusion (rows: the file's sentiment, columns: the model's)",
              f"{'':<12}" + "".join(f"{s:>10}" for s in SENTIMENTS)]
    for name, row in zip(SENTIMENTS, result.confusion):
        lines.append(f"{name:<12}" + "".join(f"{n:>10d}" for n in row))
    lines += ["", f"expected calibration error {result.calibration_error:.3f}",
              f"to check (confidence under the threshold) {result.to_check:.1%}"]
    if result.topics:
        lines += ["", f"{'topic':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'texts':>7}"]
        for name, s in result.topics.items():
            lines.append(f"{name:<16}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>7d}")
        lines.append(f"{'macro-F1':<16}{'':>18}{np.mean([s.f1 for s in result.topics.values()]):>7.3f}")
    return "\n".join(lines)
