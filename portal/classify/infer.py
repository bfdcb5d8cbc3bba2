"""The classifier the worker and `portal classify` use: encoder + heads → one label per text."""

from pathlib import Path

import numpy as np

from portal.classify import versions
from portal.classify.calibration import CHECK_BELOW
from portal.classify.encoder import Encoder
from portal.classify.flags import keep_flags, without_markup
from portal.classify.heads import DescriptionTopic, Heads, describe_topic
from portal.classify.labels import FLAGS, SENTIMENTS, Topic
from portal.classify.prepare import accelerated_model_dir, default_model_dir, prepare_model
from portal.classify.rating import from_rating_alone, valid_rating
from portal.feedback.language import detect_language


class Classifier:
    """Labels texts: sentiment, topics, urgency, flags, language, and the version that said so."""

    def __init__(self, encoder: Encoder, heads: Heads, heads_version: str):
        if (heads.feature_dim != encoder.feature_dim or tuple(heads.feature_layers) != encoder.feature_layers
                or heads.backend != encoder.backend):
            raise ValueError(
                f"heads {heads_version} were trained for {heads.encoder_name} features ({heads.backend}); "
                f"run `portal train` for the encoder in {encoder.model_dir} ({encoder.backend})"
            )
        self.encoder = encoder
        self.heads = heads
        self.heads_version = heads_version
        self.described_topics: list[DescriptionTopic] = []

    @property
    def model_version(self) -> str:
        return f"{self.encoder.name}+heads-{self.heads_version}"

    @property
    def topic_names(self) -> list[str]:
        return self.heads.topic_names + [d.topic.name for d in self.described_topics]

    def add_topic(self, name: str, description: str, examples: list[str] = ()) -> None:
        """A topic an administrator added: recognised from its description and any few examples."""
        if name in self.heads.topic_names:
            return  # already learned from labelled examples: the trained head is better
        self.described_topics = [d for d in self.described_topics if d.topic.name != name]
        description_embedding = self.encoder.embed([f"{name}: {description}"])[0]
        example_embeddings = self.encoder.embed(list(examples)) if examples else None
        self.described_topics.append(
            describe_topic(Topic(name, description), description_embedding, self.heads.background, example_embeddings)
        )

    def classify(self, texts: list[str], batch_size: int = 32, ratings: list[int | None] | None = None) -> list[dict]:
        """One label dict per text, in order, with exactly the keys of `labels.LABEL_KEYS`.

        `ratings`: the 1-5 rating each person gave with the text, or None; it is combined with
        the text's sentiment (and is the only evidence when the text is blank).
        """
        texts = [without_markup(t) if isinstance(t, str) else "" for t in texts]
        if not texts:
            return []
        encoded = self.encoder.encode(texts, batch_size=batch_size)
        return self.label(texts, encoded.features, encoded.embeddings, ratings)

    def sentiment_with_source(self, texts: list[str], features: np.ndarray,
                              ratings: list[int | None] | None) -> tuple[np.ndarray, list[str]]:
        """Calibrated sentiment probabilities per text and where they come from (text, text+rating, rating)."""
        probs = self.heads.sentiment.scores(features)
        ratings = list(ratings) if ratings is not None else [None] * len(texts)
        sources = ["text"] * len(texts)
        usable = [valid_rating(r) for r in ratings]
        fusion = self.heads.rating_fusion
        if fusion is not None and any(usable):
            probs = fusion.combine(probs, [r if ok else None for r, ok in zip(ratings, usable)])
        for i, text in enumerate(texts):
            if not usable[i]:
                continue
            if not text.strip():
                probs[i] = from_rating_alone(int(ratings[i]))
                sources[i] = "rating"
            elif fusion is not None:
                sources[i] = "text+rating"
        return probs, sources

    def label(self, texts: list[str], features: np.ndarray, embeddings: np.ndarray,
              ratings: list[int | None] | None = None) -> list[dict]:
        """Apply the heads to features already computed (the part after the encoder)."""
        heads = self.heads
        sentiment, sources = self.sentiment_with_source(texts, features, ratings)
        topic_scores = heads.topics.scores(features)
        topic_present = topic_scores >= heads.topics.thresholds
        if self.described_topics:
            extra = np.stack([d.scores(embeddings) for d in self.described_topics], axis=1)
            topic_scores = np.concatenate([topic_scores, extra], axis=1)
            topic_present = np.concatenate([topic_present, extra >= 0.5], axis=1)
        urgent = heads.urgent.scores(features)[:, 0]
        urgent_yes = urgent >= heads.urgent.thresholds[0]
        flag_scores = heads.flags.scores(features)
        flag_yes = flag_scores >= heads.flags.thresholds
        names = self.topic_names
        version = self.model_version
        labels = []
        for i, text in enumerate(texts):
            blank = not text.strip()
            labels.append({
                "sentiment": SENTIMENTS[int(sentiment[i].argmax())],
                "sentiment_scores": {s: round(float(sentiment[i, k]), 4) for k, s in enumerate(SENTIMENTS)},
                "sentiment_source": sources[i],
                "to_check": bool(sentiment[i].max() < CHECK_BELOW),
                "topics": [] if blank else [n for j, n in enumerate(names) if topic_present[i, j]],
                "topic_scores": {n: round(float(topic_scores[i, j]), 4) for j, n in enumerate(names)},
                "urgent": bool(urgent_yes[i]) and not blank,
                "flags": [] if blank else keep_flags(text, [f for k, f in enumerate(FLAGS) if flag_yes[i, k]],
                                                     float(flag_scores[i, FLAGS.index("abusive")])),
                "language": detect_language(text),
                "model_version": version,
            })
        return labels


def load_classifier(data_dir: Path, model_dir: Path | None = None, *, backend: str | None = None,
                    threads: int | None = None, max_tokens: int = 512, encoder: Encoder | None = None) -> Classifier:
    """The classifier with the current heads; prepares the bundled model when no folder is given.

    The encoder runs on the backend the heads were trained on (int8 ONNX for the shipped ones,
    exported on first use if `portal model prepare` did not). `model_dir` is an operator's own
    local Hugging Face encoder (PORTAL_MODEL_DIR); it needs heads trained for it (`portal
    train`), since the shipped heads fit multilingual-e5-small. `encoder`: one already loaded.
    """
    version, folder = versions.current_heads_dir(data_dir)
    heads = Heads.load(folder)
    if encoder is None:
        if model_dir is None:
            model_dir = default_model_dir(data_dir)
            prepare_model(data_dir)
        encoder = Encoder(Path(model_dir), backend=backend or heads.backend, threads=threads, max_tokens=max_tokens,
                          feature_layers=heads.feature_layers,
                          accelerated_dir=accelerated_model_dir(data_dir, Path(model_dir)))
    return Classifier(encoder, heads, version)
