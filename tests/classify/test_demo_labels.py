"""The demo data, labelled by the shipped model, reads right to a person: its hand-given sentiments are matched."""

import pytest

from portal.classify.worker import classify_batch
from portal.demo import read_data

TEXT_ONLY_AGREEMENT = 0.90  # the target; the hand labels are fixed, never tuned to the model


def demo_texts() -> list[tuple[str, str, int | None, str]]:
    """Every hand-written demo text once: (language, text, its usual rating or None, its hand-given sentiment)."""
    _, texts = read_data()
    return [(lang, entry[3], entry[0], entry[4]) for lang, groups in texts.items() for entries in groups.values()
            for entry in entries]


def disagreements(pairs) -> str:
    return "\n".join(f"  {expected} labelled {got}: {text[:90]}" for text, expected, got in pairs)


def test_every_demo_text_has_a_hand_given_sentiment():
    texts = demo_texts()
    assert len(texts) >= 200
    assert {sentiment for *_, sentiment in texts} == {"negative", "neutral", "positive"}
    assert sum(rating is not None for _, _, rating, _ in texts) >= 150


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "the shipped heads (frozen encoder, trained with the written reviews) agree with the hand-given sentiment on "
    "177 of 210 demo texts (84.3 %), text only, measured 2026-12-02 (155 before the written reviews)"))
def test_the_shipped_model_reading_the_text_alone_agrees_with_the_hand_labels(classifier):
    texts = demo_texts()
    labels = classifier.classify([text for _, text, _, _ in texts])
    wrong = [(text, expected, label["sentiment"]) for (_, text, _, expected), label in zip(texts, labels)
             if label["sentiment"] != expected]
    agreement = 1 - len(wrong) / len(texts)
    assert agreement >= TEXT_ONLY_AGREEMENT, (
        f"{len(texts) - len(wrong)} of {len(texts)} agree ({agreement:.1%}):\n{disagreements(wrong)}")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "with their rating, through the worker's path, the shipped model agrees on 194 of the 203 rated demo texts, "
    "not all, measured 2026-12-02 (196 before the written reviews)"))
def test_with_their_rating_the_shipped_model_agrees_on_every_rated_demo_text(classifier):
    rated = [(text, rating, expected) for _, text, rating, expected in demo_texts() if rating is not None]
    items = [{"id": k, "text": text, "rating": rating} for k, (text, rating, _) in enumerate(rated)]
    labelled = classify_batch(classifier, items)  # what the worker stores: the rating combined with the text
    wrong = [(text, expected, label.sentiment) for (text, _, expected), label in zip(rated, labelled)
             if label.sentiment != expected]
    assert not wrong, f"{len(rated) - len(wrong)} of {len(rated)} agree:\n{disagreements(wrong)}"
