"""The citizen's own rating as evidence about sentiment, combined with the text model's probabilities.

A rating of 1-5 given with the text says a lot about how the person feels, but not everything:
"5 stars, but..." and sarcasm rated 1 exist. A small multinomial logistic model on
[log text probabilities, one-hot rating] is fitted on rated examples where both are known
(`portal/classify/rated/`), so the combination is learned and calibrated rather than guessed.
Two rules hold whatever the model says: a text rated 1 or 2 is never labelled positive, and a text
rated 5 is never labelled negative. When the text reads the other way (the text model's most likely
label is the polarity opposite to the rating's), the person either wrote sarcasm ("super, encore
trois heures d'attente") or picked the wrong end of the scale, and the text alone cannot tell which: the
label then leans the rating's way with a confidence under the "to check" threshold, so a person
decides instead of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.classify.jsonl import folder_records
from portal.classify.labels import SENTIMENTS
from portal.store.core.tables import RATING_ALONE_CONFIDENCE, RATING_SENTIMENT

RATED_DIR = Path(__file__).parent / "rated"
RATINGS = (1, 2, 3, 4, 5)
FUSION_C = 1.0  # mild regularisation: eight inputs, a few hundred examples
NEGATIVE, NEUTRAL, POSITIVE = (SENTIMENTS.index(s) for s in ("negative", "neutral", "positive"))
# Text against rating: the rating's polarity leads, the rest is split so the label reads "to check".
CONTRADICTION = {"rating": 0.5, "neutral": 0.3, "text": 0.2}
# Where a label came from, as recorded beside it.
SOURCES = ("text", "text+rating", "rating")


@dataclass
class RatedExample:
    text: str
    rating: int
    sentiment: str
    language: str


@dataclass
class RatingFusion:
    """Weights of the combination: (3 log-probabilities + 5 rating indicators) -> 3 sentiments."""

    weights: np.ndarray  # (8, 3)
    bias: np.ndarray  # (3,)

    def combine(self, text_probs: np.ndarray, ratings: list[int | None]) -> np.ndarray:
        """Sentiment probabilities given the text's and the rating (rows without a rating unchanged)."""
        out = np.array(text_probs, dtype=np.float64, copy=True)
        rows = [i for i, r in enumerate(ratings) if valid_rating(r)]
        if not rows:
            return out.astype(np.float32)
        x = design(out[rows], [ratings[i] for i in rows])
        logits = x @ self.weights + self.bias
        fused = _softmax(logits)
        for k, i in enumerate(rows):
            fused[k] = apply_rules(fused[k], out[i], int(ratings[i]))
        out[rows] = fused
        return out.astype(np.float32)

    def to_json(self) -> dict:
        return {"weights": self.weights.round(6).tolist(), "bias": self.bias.round(6).tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "RatingFusion":
        return cls(np.array(data["weights"], dtype=np.float64), np.array(data["bias"], dtype=np.float64))


def parse_rating(value, where: str) -> int | None:
    """A rating of 1 to 5 read from a file, or None when absent or empty; anything else is an error naming where."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if isinstance(value, bool) or text not in ("1", "2", "3", "4", "5"):
        raise ValueError(f"{where}: the rating must be a whole number from 1 to 5, not {value!r}")
    return int(text)


def valid_rating(rating) -> bool:
    return isinstance(rating, int) and not isinstance(rating, bool) and rating in RATINGS


def design(text_probs: np.ndarray, ratings: list[int]) -> np.ndarray:
    """The fusion model's inputs: log text probabilities, then one indicator per rating."""
    logs = np.log(np.clip(text_probs, 1e-6, 1.0))
    onehot = np.zeros((len(ratings), len(RATINGS)))
    for row, rating in enumerate(ratings):
        onehot[row, RATINGS.index(int(rating))] = 1.0
    return np.concatenate([logs, onehot], axis=1)


def apply_rules(fused: np.ndarray, text: np.ndarray, rating: int) -> np.ndarray:
    """Rated 1-2: never positive; rated 5: never negative; text against rating: leaning the rating's way, to check."""
    if rating <= 2:
        kept, banned = NEGATIVE, POSITIVE
    elif rating == 5:
        kept, banned = POSITIVE, NEGATIVE
    else:
        return fused
    if int(np.argmax(text)) == banned:
        out = np.zeros_like(fused)
        out[kept], out[NEUTRAL], out[banned] = CONTRADICTION["rating"], CONTRADICTION["neutral"], CONTRADICTION["text"]
        return out
    fused = fused.copy()
    fused[banned] = 0.0
    total = fused.sum()
    return fused / total if total > 0 else text


def from_rating_alone(rating: int) -> np.ndarray:
    """Probabilities when a rating comes without text: the rating's sentiment, not certain."""
    probs = np.full(len(SENTIMENTS), (1.0 - RATING_ALONE_CONFIDENCE) / (len(SENTIMENTS) - 1), dtype=np.float32)
    probs[SENTIMENTS.index(RATING_SENTIMENT[rating])] = RATING_ALONE_CONFIDENCE
    return probs


def fit_fusion(text_probs: np.ndarray, ratings: list[int], truth: list[str], C: float = FUSION_C) -> RatingFusion:
    """Fit the combination on examples where the text's probabilities, the rating and the truth are known."""
    from sklearn.linear_model import LogisticRegression

    x = design(np.asarray(text_probs, dtype=np.float64), ratings)
    y = np.array([SENTIMENTS.index(s) for s in truth])
    if len(set(y.tolist())) < len(SENTIMENTS):
        raise ValueError("the rated examples need every sentiment to fit the combination")
    model = LogisticRegression(C=C, max_iter=2000).fit(x, y)
    return RatingFusion(model.coef_.T.copy(), model.intercept_.copy())


def load_rated_examples(folder: Path = RATED_DIR) -> list[RatedExample]:
    """The hand-written rated examples shipped with the code (French and English)."""
    return [RatedExample(record["text"], int(record["rating"]), record["sentiment"], record.get("language", path.stem))
            for path, record in folder_records(folder)]


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
