"""Labelled examples for training: the seed set and the written reviews in the repo, labelled CSV files, staff
corrections."""

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from portal.classify.jsonl import folder_records
from portal.classify.labels import DEFAULT_TOPIC_NAMES, FLAGS, SENTIMENTS
from portal.classify.rating import parse_rating

SEED_DIR = Path(__file__).parent / "seed"
# Short reviews written for the project (portal/classify/written/README.md). They teach the sentiment of
# short and tricky texts (negated problems, sarcasm, plain facts); at a quarter of a real text's weight
# they leave the Services Publics+ cross-validation where it was (0.715 vs 0.716).
WRITTEN_DIR = Path(__file__).parent / "written"
WRITTEN_WEIGHT = 0.25
# Services Publics+ quality dimensions, as columns of its open-data export.
CSV_TOPIC_COLUMNS = {
    "aspect_access": "access",
    "aspect_information": "information",
    "aspect_relation": "relation",
    "aspect_responsiveness": "responsiveness",
    "aspect_simplicity": "simplicity",
}
CORRECTION_WEIGHT = 5.0  # staff know better: one correction counts like several examples


@dataclass
class Example:
    """A text and whatever is known about it; None / missing keys mean "not labelled"."""

    text: str
    source: str
    sentiment: str | None = None
    topics: dict[str, bool] = field(default_factory=dict)
    urgent: bool | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    weight: float = 1.0
    rating: int | None = None  # the 1-5 rating given with the text, when the file has one
    always_trained: bool = False  # corrections and written reviews: never in the held-out fifth

    @property
    def held_out(self) -> bool:
        """A fixed fifth of seed and CSV texts is never trained on, by any version.

        Corrections and written reviews are always trained on: the held-out fifth stays the same
        texts whatever is added to the training data, so versions remain comparable.
        """
        if self.always_trained:
            return False
        digest = hashlib.sha256(self.text.strip().lower().encode("utf-8")).digest()
        return digest[0] % 5 == 0


def load_seed_examples(folder: Path = SEED_DIR) -> list[Example]:
    return [from_label(record, source=f"seed:{path.stem}") for path, record in folder_records(folder)]


def load_written_examples(folder: Path = WRITTEN_DIR, weight: float = WRITTEN_WEIGHT) -> list[Example]:
    """The written reviews, at their reduced weight; a line's `rating` is kept with it."""
    examples = []
    for path, record in folder_records(folder):
        example = from_label(record, source=f"written:{path.stem}", weight=weight)
        example.rating = parse_rating(record.get("rating"), str(path))
        example.always_trained = True
        # Written for sentiment and topics: whether a text is urgent, abusive or spam was not
        # asked of the writers, so those labels stay unknown (the seed set teaches them).
        example.urgent, example.flags = None, {}
        examples.append(example)
    return examples


def from_label(record: dict, source: str, topic_names=DEFAULT_TOPIC_NAMES, weight: float = 1.0) -> Example:
    """An example from a full label (the classifier's output shape, or a seed line)."""
    topics = set(record.get("topics") or [])
    names = list(dict.fromkeys([*topic_names, *topics]))
    flags = set(record.get("flags") or [])
    sentiment = record.get("sentiment")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ValueError(f"unknown sentiment {sentiment!r}")
    return Example(
        text=record["text"], source=source, sentiment=sentiment,
        topics={name: name in topics for name in names},
        urgent=bool(record.get("urgent", False)),
        flags={flag: flag in flags for flag in FLAGS},
        weight=weight,
    )


def corrections_to_examples(corrections, topic_names=DEFAULT_TOPIC_NAMES) -> list[Example]:
    """Staff corrections as (text, label dict) pairs; the label dict has the classifier's keys."""
    examples = [from_label({**labels, "text": text}, source="correction", topic_names=topic_names,
                           weight=CORRECTION_WEIGHT) for text, labels in corrections]
    for example in examples:
        example.always_trained = True
    return examples


def load_labelled_csv(path: Path) -> list[Example]:
    """Rows of a Services Publics+ style export: title, description, sentiment, aspect_* columns.

    A plain CSV with `text` and `sentiment` columns works too. An empty aspect column means
    the author did not mention that dimension (topic absent); topics without a column stay unknown.
    """
    examples = []
    with Path(path).open(encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            text = row.get("text") or _title_and_description(row)
            if not text.strip():
                continue
            sentiment = (row.get("sentiment") or "").strip().lower() or None
            if sentiment not in SENTIMENTS:
                sentiment = None
            topics = {
                topic: bool((row.get(column) or "").strip())
                for column, topic in CSV_TOPIC_COLUMNS.items() if column in row
            }
            rating = parse_rating(row.get("rating"), f"{path}:{number}")
            examples.append(Example(text=text, source=f"csv:{Path(path).name}", sentiment=sentiment, topics=topics,
                                    rating=rating))
    return examples


def _title_and_description(row: dict) -> str:
    title = (row.get("title") or "").strip()
    description = (row.get("description") or "").strip()
    if title and description:
        return f"{title}. {description}"
    return title or description
