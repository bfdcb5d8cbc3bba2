"""`portal train`: fit the label heads on frozen encoder features, score them, promote if not worse."""

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.classify import versions
from portal.classify.adapter import copy_adapter, has_adapter, read_adapter_meta
from portal.classify.encoder import Encoder
from portal.classify.examples import (Example, corrections_to_examples, load_labelled_csv, load_seed_examples,
                                     load_written_examples)
from portal.classify.heads import Heads, LinearHead, with_prototypes
from portal.classify.calibration import fit_temperature
from portal.classify.labels import DEFAULT_TOPIC_NAMES, DEFAULT_TOPICS, FLAGS, SENTIMENTS, description_phrases
from portal.classify.rating import RatedExample, fit_fusion, load_rated_examples

# scikit-learn is imported inside the functions that fit and score: only `portal train` needs it.

# Tuned by cross-validation on the Services Publics+ sample (1,152 features, a few hundred texts):
# strong regularisation wins on frozen features.
REGULARISATION_C = 0.003
# Urgency and flags are learned from the small seed set and corrections: fewer, clearer examples.
SEED_HEAD_C = 0.05
PROMOTE_TOLERANCE = 0.02  # held-out macro-F1 noise (a few hundred texts) we accept as "not worse"
CALIBRATION_FOLDS = 5


@dataclass
class TrainingResult:
    version: str
    folder: Path
    metrics: dict
    promoted: bool
    reason: str


def train(
    data_dir: Path,
    encoder: Encoder,
    *,
    csv_paths: list[Path] = (),
    corrections: list[tuple[str, dict]] = (),
    include_seed: bool = True,
    promote_tolerance: float = PROMOTE_TOLERANCE,
    rated: list[RatedExample] | None = None,
    adapter_dir: Path | None = None,
    encoder_changed: bool = False,
    baseline: dict | None = None,
    version: str | None = None,
) -> TrainingResult:
    """Train a new heads version from seed + CSV + corrections; promote it unless it scores worse.

    `adapter_dir` holds the encoder adaptation `encoder` runs with (None: the plain converted encoder); it
    is copied into the new version, which keeps heads and encoder together. When the encoder changed
    (`portal model finetune`), the current heads are not scored on the new encoder's features: `baseline`
    holds the current model's held-out metrics (None: nothing comparable in use).

    The rating fusion is then fitted on the rated examples (`portal/classify/rated/`). The sentiment
    head is not temperature-scaled: its probabilities are already close to calibrated, and a
    temperature fitted out of fold made the calibration error worse (bench/labels.py measures both).
    """
    examples = training_examples(csv_paths, corrections, include_seed)
    rated = load_rated_examples() if rated is None else rated
    encoded = encoder.encode([e.text for e in examples] + [r.text for r in rated])
    rated_features = encoded.features[len(examples):]
    encoded.features, encoded.embeddings = encoded.features[:len(examples)], encoded.embeddings[:len(examples)]
    held = np.array([e.held_out for e in examples])
    heads = fit_heads(examples, encoded.features, encoded.embeddings, encoder, train_mask=~held)
    if rated:
        heads.rating_fusion = fit_fusion(heads.sentiment.scores(rated_features), [r.rating for r in rated],
                                         [r.sentiment for r in rated])

    held_examples = [e for e, h in zip(examples, held) if h]
    metrics = evaluate(heads, held_examples, encoded.features[held])
    version = version or versions.new_version_name()
    metrics.update({
        "version": version, "encoder": encoder.name, "backend": encoder.backend,
        "trained_on": _counts([e for e, h in zip(examples, held) if not h]),
        "held_out": _counts(held_examples),
    })
    folder = versions.heads_root(data_dir) / version
    heads.save(folder)
    if adapter_dir is not None:
        copy_adapter(Path(adapter_dir), folder)
    metrics["encoder_adapter"] = read_adapter_meta(folder)["sha256"] if has_adapter(folder) else None

    promoted, reason = True, "no trained version yet"
    try:
        current_name, current_dir = versions.current_heads_dir(data_dir)
        current = Heads.load(current_dir)
    except (OSError, KeyError, ValueError):  # nothing usable to compare with
        current_name, current = None, None
    if encoder_changed:
        if baseline is not None:
            metrics["current_version"] = {"version": current_name, "score": baseline["score"]}
            promoted = metrics["score"] >= baseline["score"] - promote_tolerance
            reason = f"held-out score {metrics['score']:.4f} vs current {current_name} {baseline['score']:.4f}"
        else:
            reason = "no comparable model in use"
    elif (current is not None and current.feature_dim == heads.feature_dim and current.encoder_name == heads.encoder_name
            and current.backend == heads.backend):
        baseline = evaluate(current, held_examples, encoded.features[held])
        metrics["current_version"] = {"version": current_name, "score": baseline["score"]}
        promoted = metrics["score"] >= baseline["score"] - promote_tolerance
        reason = (f"held-out score {metrics['score']:.4f} vs current {current_name} {baseline['score']:.4f}")
    metrics["promoted"] = promoted
    (folder / versions.METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    if promoted:
        versions.promote(data_dir, version)
    return TrainingResult(version, folder, metrics, promoted, reason)


def training_examples(csv_paths: list[Path] = (), corrections: list[tuple[str, dict]] = (),
                      include_seed: bool = True) -> list[Example]:
    """What `portal train` and `portal model finetune` learn from: the seed set and the written reviews (unless
    `include_seed` is false), labelled CSV files, corrections."""
    examples: list[Example] = load_seed_examples() + load_written_examples() if include_seed else []
    for path in csv_paths:
        examples += load_labelled_csv(path)
    return examples + corrections_to_examples(corrections)


def fit_heads(examples: list[Example], features: np.ndarray, embeddings: np.ndarray, encoder: Encoder,
              train_mask: np.ndarray | None = None) -> Heads:
    """One logistic regression per label, on the examples where that label is known."""
    train_mask = np.ones(len(examples), bool) if train_mask is None else train_mask
    weights = np.array([e.weight for e in examples])

    def rows(predicate):
        return np.array([bool(train_mask[i] and predicate(e)) for i, e in enumerate(examples)], bool)

    known = rows(lambda e: e.sentiment is not None)
    sentiment_y = np.array([SENTIMENTS.index(e.sentiment) if e.sentiment else -1 for e in examples])
    sentiment = _fit_softmax(features[known], sentiment_y[known], weights[known], len(SENTIMENTS))

    topic_names = list(DEFAULT_TOPIC_NAMES)
    for e in examples:
        topic_names += [t for t in e.topics if t not in topic_names]
    prototypes = topic_prototypes(encoder)
    topic_features = with_prototypes(features, prototypes)
    topics = _stack([
        _fit_binary(topic_features, examples, weights, rows(lambda e, t=t: t in e.topics),
                    lambda e, t=t: e.topics[t], tune_threshold=True)
        for t in topic_names
    ])
    topics.prototypes = prototypes
    urgent = _fit_binary(features, examples, weights, rows(lambda e: e.urgent is not None), lambda e: e.urgent,
                         C=SEED_HEAD_C)
    flags = _stack([
        _fit_binary(features, examples, weights, rows(lambda e, f=f: f in e.flags), lambda e, f=f: e.flags[f],
                    C=SEED_HEAD_C)
        for f in FLAGS
    ])
    seed_rows = [i for i, e in enumerate(examples) if e.source.startswith("seed")]
    background = embeddings[seed_rows] if seed_rows else embeddings[:256]
    return Heads(
        encoder_name=encoder.name, feature_layers=encoder.feature_layers, feature_dim=features.shape[1],
        sentiment=sentiment, topic_names=topic_names, topics=topics, urgent=urgent, flags=flags,
        background=background, backend=getattr(encoder, "backend", "torch"),
    )


def fit_sentiment_head(examples: list[Example], features: np.ndarray, train_mask: np.ndarray) -> LinearHead:
    """The sentiment head alone, as `fit_heads` fits it (for calibration folds)."""
    rows = np.array([bool(train_mask[i] and e.sentiment is not None) for i, e in enumerate(examples)], bool)
    y = np.array([SENTIMENTS.index(e.sentiment) if e.sentiment else -1 for e in examples])
    weights = np.array([e.weight for e in examples])
    return _fit_softmax(features[rows], y[rows], weights[rows], len(SENTIMENTS))


def out_of_fold_temperature(examples: list[Example], features: np.ndarray, train_mask: np.ndarray,
                            folds: int = CALIBRATION_FOLDS) -> float:
    """Temperature of the sentiment head, fitted on out-of-fold logits of the training rows only."""
    rows = [i for i, e in enumerate(examples) if train_mask[i] and e.sentiment is not None]
    fold_of = np.random.default_rng(1).permutation(np.arange(len(rows)) % folds)
    logits, truth = [], []
    for k in range(folds):
        inner = np.zeros(len(examples), bool)
        inner[[r for r, f in zip(rows, fold_of) if f != k]] = True
        held = [r for r, f in zip(rows, fold_of) if f == k]
        try:
            head = fit_sentiment_head(examples, features, inner)
        except ValueError:  # a fold without every sentiment: too little data to calibrate
            return 1.0
        logits.append(head.logits(features[held]))
        truth += [SENTIMENTS.index(examples[i].sentiment) for i in held]
    return fit_temperature(np.concatenate(logits), np.array(truth)) if truth else 1.0


def topic_prototypes(encoder: Encoder) -> np.ndarray | None:
    """Embeddings of the default topics' descriptions and their parts (cosines to them are extra
    topic features: +1 point of topic macro-F1 in cross-validation), when the features end with
    the text embedding."""
    if tuple(encoder.feature_layers)[-1] not in (-1, getattr(encoder, "layers", None)):
        return None
    return encoder.embed([phrase for t in DEFAULT_TOPICS for phrase in description_phrases(t)])


def _logistic(C: float = REGULARISATION_C):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000, class_weight="balanced")


def _fold(model, mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fold standardisation into the weights: w·((x-m)/s) + b = (w/s)·x + (b - w·m/s)."""
    coef = model.coef_.T / scale[:, None]
    bias = model.intercept_ - (mean / scale) @ model.coef_.T
    return coef.astype(np.float32), bias.astype(np.float32)


def _standardise(x: np.ndarray):
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return (x - mean) / scale, mean, scale


def _fit_softmax(x, y, w, n_classes) -> LinearHead:
    if len(set(y.tolist())) < n_classes:
        raise ValueError("every sentiment needs labelled examples to train")
    xs, mean, scale = _standardise(x)
    model = _logistic().fit(xs, y, sample_weight=w)
    coef, bias = _fold(model, mean, scale)
    return LinearHead(coef, bias, "softmax")


def _fit_binary(features, examples, weights, mask, is_positive, tune_threshold=False,
                C: float = REGULARISATION_C) -> LinearHead:
    dim = features.shape[1]
    y = np.array([bool(is_positive(e)) if m else False for e, m in zip(examples, mask)])[mask].astype(int)
    x = features[mask]
    if y.sum() < 2 or (1 - y).sum() < 2:  # not learnable: fall back to the prior
        prior = (y.mean() if len(y) else 0.0) * 0.98 + 0.01
        return LinearHead(np.zeros((dim, 1), np.float32), np.array([np.log(prior / (1 - prior))], np.float32),
                          "sigmoid", np.array([0.5], np.float32))
    xs, mean, scale = _standardise(x)
    threshold = _f1_threshold(xs, y, weights[mask]) if tune_threshold else 0.5
    model = _logistic(C).fit(xs, y, sample_weight=weights[mask])
    coef, bias = _fold(model, mean, scale)
    return LinearHead(coef, bias, "sigmoid", np.array([threshold], np.float32))


def _f1_threshold(xs: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The probability cut that maximises F1 in 3-fold cross-validation (presence is rare)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    if min(y.sum(), (1 - y).sum()) < 6:
        return 0.5
    scores = np.zeros(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train_rows, test_rows in StratifiedKFold(3, shuffle=True, random_state=0).split(xs, y):
            model = _logistic().fit(xs[train_rows], y[train_rows], sample_weight=w[train_rows])
            scores[test_rows] = model.predict_proba(xs[test_rows])[:, 1]
    candidates = np.linspace(0.1, 0.8, 29)
    return float(max(candidates, key=lambda t: f1_score(y, scores >= t, zero_division=0)))


def _stack(heads: list[LinearHead]) -> LinearHead:
    return LinearHead(
        np.concatenate([h.weights for h in heads], axis=1), np.concatenate([h.bias for h in heads]),
        "sigmoid", np.concatenate([h.thresholds for h in heads]),
    )


def evaluate(heads: Heads, examples: list[Example], features: np.ndarray) -> dict:
    """Per-label and macro F1 of `heads` on labelled examples (those it was not trained on)."""
    from sklearn.metrics import f1_score

    result: dict = {"examples": len(examples)}
    if not examples:
        result["score"] = 0.0
        return result
    known = np.array([e.sentiment is not None for e in examples])
    if known.any():
        truth = [e.sentiment for e, k in zip(examples, known) if k]
        pred = [SENTIMENTS[i] for i in heads.sentiment.scores(features[known]).argmax(axis=1)]
        per_class = f1_score(truth, pred, labels=list(SENTIMENTS), average=None, zero_division=0)
        result["sentiment"] = {"macro_f1": float(np.mean(per_class)),
                               **{s: float(v) for s, v in zip(SENTIMENTS, per_class)}}
    topic_scores = heads.topics.scores(features)
    per_topic = {}
    for j, name in enumerate(heads.topic_names):
        rows = [i for i, e in enumerate(examples) if name in e.topics]
        truth = [examples[i].topics[name] for i in rows]
        if rows and any(truth):
            pred = topic_scores[rows, j] >= heads.topics.thresholds[j]
            per_topic[name] = float(f1_score(truth, pred, zero_division=0))
    result["topics"] = {"macro_f1": float(np.mean(list(per_topic.values()))) if per_topic else 0.0, **per_topic}
    for name, head, column, getter in (
        ("urgent", heads.urgent, 0, lambda e: e.urgent),
        *((f, heads.flags, k, lambda e, f=f: e.flags.get(f)) for k, f in enumerate(FLAGS)),
    ):
        rows = [i for i, e in enumerate(examples) if getter(e) is not None]
        truth = [bool(getter(examples[i])) for i in rows]
        if rows and any(truth):
            pred = head.scores(features[rows])[:, column] >= head.thresholds[column]
            result[name] = {"f1": float(f1_score(truth, pred, zero_division=0)), "positives": int(sum(truth))}
    parts = [result[k]["macro_f1"] for k in ("sentiment", "topics") if k in result and result[k]["macro_f1"]]
    result["score"] = float(np.mean(parts)) if parts else 0.0
    return result


def _counts(examples: list[Example]) -> dict:
    counts: dict[str, int] = {}
    for e in examples:
        key = e.source.split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts
