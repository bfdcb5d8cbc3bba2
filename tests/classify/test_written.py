"""The written reviews: what `portal train` learns from them, and that they stay apart from what measures the model."""

import json
from pathlib import Path

from portal.classify.examples import WRITTEN_WEIGHT, load_seed_examples, load_written_examples
from portal.classify.labels import DEFAULT_TOPIC_NAMES, SENTIMENTS
from portal.classify.train import training_examples
from tests.classify.test_demo_labels import demo_texts

ROOT = Path(__file__).resolve().parents[2]


def _normalised(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .!?")


def _measuring_texts() -> set[str]:
    texts = set()
    for path in (ROOT / "bench" / "data").glob("clear_cut_*.jsonl"):
        texts |= {_normalised(json.loads(line)["text"]) for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()}
    texts |= {_normalised(text) for _, text, _, _ in demo_texts()}
    return texts


def test_written_reviews_are_labelled_weighted_and_never_held_out():
    written = load_written_examples()
    assert len(written) >= 500
    assert {e.sentiment for e in written} == set(SENTIMENTS)
    assert all(e.weight == WRITTEN_WEIGHT < 1 for e in written)
    assert not any(e.held_out for e in written)  # the held-out fifth stays the seed and CSV texts it was
    assert all(set(e.topics) == set(DEFAULT_TOPIC_NAMES) for e in written)
    assert all(e.rating in (1, 2, 3, 4, 5) for e in written)
    assert all(e.urgent is None and e.flags == {} for e in written)  # not asked of the writers: unknown
    assert {e.source for e in written} >= {"written:fr_short", "written:en", "written:hard_cases"}


def test_no_written_review_is_a_text_that_measures_the_model():
    measuring = _measuring_texts()
    assert len(measuring) > 500  # both clear-cut sets and the demo texts were read
    shared = [e.text for e in load_written_examples() if _normalised(e.text) in measuring]
    assert not shared, shared


def test_training_takes_them_with_the_seed_set_and_not_without_it():
    with_seed = training_examples()
    assert len(with_seed) == len(load_seed_examples()) + len(load_written_examples())
    assert not training_examples(include_seed=False)
