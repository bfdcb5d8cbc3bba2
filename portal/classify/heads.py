"""Label heads on frozen encoder features: linear models stored as plain arrays, plus zero-shot topics."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from portal.classify.labels import FLAGS, SENTIMENTS, Topic
from portal.classify.rating import RatingFusion

HEADS_FILE = "heads.npz"
META_FILE = "heads.json"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearHead:
    """Logistic regression with the feature scaling folded into its weights."""

    weights: np.ndarray  # (features, outputs)
    bias: np.ndarray  # (outputs,)
    kind: str  # "softmax" (one of several classes) or "sigmoid" (independent yes/no)
    thresholds: np.ndarray | None = None  # per output, for "sigmoid"
    # Unit description embeddings of the default topics: their cosines to the text's embedding
    # (the last `hidden` columns of the features) are extra inputs, worth ~half a point of topic F1.
    prototypes: np.ndarray | None = None

    def logits(self, features: np.ndarray) -> np.ndarray:
        return with_prototypes(features, self.prototypes) @ self.weights + self.bias

    def scores(self, features: np.ndarray) -> np.ndarray:
        logits = self.logits(features)
        return _softmax(logits) if self.kind == "softmax" else _sigmoid(logits)


def with_prototypes(features: np.ndarray, prototypes: np.ndarray | None) -> np.ndarray:
    """Features, followed by the cosine of the text embedding to each prototype (if any)."""
    if prototypes is None or not len(prototypes):
        return features
    embeddings = features[:, -prototypes.shape[1]:]
    return np.concatenate([features, embeddings @ prototypes.T], axis=1)


@dataclass
class DescriptionTopic:
    """A topic known by its description (and maybe a few examples): cosine to a prototype."""

    topic: Topic
    prototype: np.ndarray  # unit vector in embedding space
    centre: float  # cosine at which the topic is called present
    spread: float  # background standard deviation of the cosine

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        z = (embeddings @ self.prototype - self.centre) / max(self.spread, 1e-6)
        return _sigmoid(2.0 * z)


@dataclass
class Heads:
    """Everything the classifier learns; tied to one encoder and its feature layers."""

    encoder_name: str
    feature_layers: tuple[int, ...]
    feature_dim: int
    sentiment: LinearHead
    topic_names: list[str]
    topics: LinearHead
    urgent: LinearHead
    flags: LinearHead
    background: np.ndarray  # a sample of seed embeddings, to calibrate described topics
    extra_topics: list[DescriptionTopic] = field(default_factory=list)
    # The encoder backend whose features the heads were fitted on: int8 features differ enough
    # from float32 ones that heads must be trained on the backend that will feed them.
    backend: str = "torch"
    # How the citizen's rating combines with the text's sentiment (None: text only).
    rating_fusion: RatingFusion | None = None

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"background": self.background.astype(np.float16)}
        for name in ("sentiment", "topics", "urgent", "flags"):
            head: LinearHead = getattr(self, name)
            arrays[f"{name}.weights"] = head.weights.astype(np.float32)
            arrays[f"{name}.bias"] = head.bias.astype(np.float32)
            if head.thresholds is not None:
                arrays[f"{name}.thresholds"] = head.thresholds.astype(np.float32)
            if head.prototypes is not None:
                arrays[f"{name}.prototypes"] = head.prototypes.astype(np.float32)
        np.savez_compressed(folder / HEADS_FILE, **arrays)
        meta = {
            "encoder_name": self.encoder_name,
            "backend": self.backend,
            "feature_layers": list(self.feature_layers),
            "feature_dim": self.feature_dim,
            "topic_names": self.topic_names,
            "sentiments": list(SENTIMENTS),
            "flags": list(FLAGS),
            "rating_fusion": self.rating_fusion.to_json() if self.rating_fusion else None,
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> "Heads":
        meta = json.loads((folder / META_FILE).read_text())
        with np.load(folder / HEADS_FILE) as data:
            arrays = {k: data[k] for k in data.files}

        def head(name: str, kind: str) -> LinearHead:
            return LinearHead(
                arrays[f"{name}.weights"].astype(np.float32), arrays[f"{name}.bias"].astype(np.float32),
                kind, arrays.get(f"{name}.thresholds"), arrays.get(f"{name}.prototypes"),
            )

        fusion = meta.get("rating_fusion")
        return cls(
            encoder_name=meta["encoder_name"], feature_layers=tuple(meta["feature_layers"]),
            feature_dim=int(meta["feature_dim"]), sentiment=head("sentiment", "softmax"),
            topic_names=list(meta["topic_names"]), topics=head("topics", "sigmoid"),
            urgent=head("urgent", "sigmoid"), flags=head("flags", "sigmoid"),
            background=arrays["background"].astype(np.float32), backend=meta.get("backend", "torch"),
            rating_fusion=RatingFusion.from_json(fusion) if fusion else None,
        )


def describe_topic(topic: Topic, description_embedding: np.ndarray, background: np.ndarray,
                   example_embeddings: np.ndarray | None = None) -> DescriptionTopic:
    """Calibrate a described topic against background texts: present ≈ top few % of cosines.

    Cosines of e5 embeddings sit in a narrow band (0.75-0.9), so a fixed threshold would be
    a guess; the background distribution turns them into z-scores. Examples, when given,
    pull the prototype towards real wording and the threshold towards their own scores.
    """
    prototype = description_embedding / np.linalg.norm(description_embedding)
    if example_embeddings is not None and len(example_embeddings):
        prototype = prototype + example_embeddings.mean(axis=0)
        prototype = prototype / np.linalg.norm(prototype)
    cosines = background @ prototype
    mean, spread = float(cosines.mean()), float(cosines.std())
    centre = mean + 2.0 * spread
    if example_embeddings is not None and len(example_embeddings):
        lowest_example = float(np.min(example_embeddings @ prototype))
        centre = min(centre, max(mean + spread, lowest_example))
    return DescriptionTopic(topic, prototype.astype(np.float32), centre, spread)
