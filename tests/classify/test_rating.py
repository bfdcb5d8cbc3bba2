"""The citizen's rating combined with the text's sentiment, and the calibration measures."""

import numpy as np
import pytest

from portal.classify.calibration import CHECK_BELOW, expected_calibration_error, fit_temperature, softmax, to_check
from portal.classify.cli_offline import read_inputs
from portal.classify.labels import SENTIMENTS
from portal.classify.rating import (
    RatingFusion,
    apply_rules,
    fit_fusion,
    from_rating_alone,
    load_rated_examples,
)

NEG, NEU, POS = (SENTIMENTS.index(s) for s in ("negative", "neutral", "positive"))


def probs(neg, neu, pos):
    return np.array([[neg, neu, pos]], dtype=np.float64)


def trained_fusion() -> RatingFusion:
    """A fusion fitted on synthetic data where the rating mostly agrees with the truth."""
    rng = np.random.default_rng(0)
    text, ratings, truth = [], [], []
    for _ in range(300):
        label = int(rng.integers(3))
        rating = {NEG: int(rng.integers(1, 3)), NEU: 3, POS: int(rng.integers(4, 6))}[label]
        p = rng.dirichlet(np.ones(3))
        p[label] += 0.5
        text.append(p / p.sum())
        ratings.append(rating)
        truth.append(SENTIMENTS[label])
    return fit_fusion(np.array(text), ratings, truth)


def test_a_rating_moves_an_unsure_text_towards_it():
    fusion = trained_fusion()
    unsure = probs(0.3, 0.4, 0.3)
    assert fusion.combine(unsure, [1]).argmax() == NEG
    assert fusion.combine(unsure, [5]).argmax() == POS
    assert fusion.combine(unsure, [None])[0].tolist() == pytest.approx(unsure[0].tolist(), abs=1e-6)


def test_a_low_rated_complaint_is_never_positive_and_a_five_rated_praise_never_negative():
    leaning_positive = np.array([0.40, 0.05, 0.55])
    complaint = np.array([0.50, 0.05, 0.45])
    assert apply_rules(np.array([0.1, 0.1, 0.8]), complaint, 2)[POS] == 0.0
    assert apply_rules(np.array([0.8, 0.1, 0.1]), leaning_positive, 5)[NEG] == 0.0
    # The text reads as praise but the rating is 1 (sarcasm, or the wrong end of the scale): leaning
    # negative, below the "to check" threshold, whatever the fusion said.
    for fused, text, rating, lean in ((np.array([0.2, 0.1, 0.7]), np.array([0.05, 0.05, 0.9]), 1, NEG),
                                      (np.array([0.8, 0.1, 0.1]), np.array([0.6, 0.1, 0.3]), 5, POS)):
        out = apply_rules(fused, text, rating)
        assert out.argmax() == lean and out.max() < CHECK_BELOW and out.sum() == pytest.approx(1.0)
    # A neutral-sounding text rated 1 is no contradiction: the fusion's answer stands, without positive.
    out = apply_rules(np.array([0.3, 0.5, 0.2]), np.array([0.15, 0.7, 0.15]), 1)
    assert out[POS] == 0.0 and out.argmax() == NEU
    fused = trained_fusion().combine(np.array([complaint]), [1])[0]
    assert fused[POS] == 0.0 and fused.sum() == pytest.approx(1.0)


def test_a_rating_alone_gives_its_own_sentiment_without_certainty():
    for rating, expected in ((1, NEG), (2, NEG), (3, NEU), (4, POS), (5, POS)):
        p = from_rating_alone(rating)
        assert p.argmax() == expected and p.max() < 1.0 and p.sum() == pytest.approx(1.0)


def test_the_fusion_survives_a_save_as_json():
    fusion = trained_fusion()
    again = RatingFusion.from_json(fusion.to_json())
    unsure = probs(0.3, 0.4, 0.3)
    assert again.combine(unsure, [2])[0].tolist() == pytest.approx(fusion.combine(unsure, [2])[0].tolist(), abs=1e-5)


def test_the_rated_examples_are_rated_and_labelled():
    examples = load_rated_examples()
    assert len(examples) >= 200 and {e.rating for e in examples} == {1, 2, 3, 4, 5}
    assert {e.sentiment for e in examples} == set(SENTIMENTS) and {e.language for e in examples} == {"fr", "en"}


def test_the_temperature_that_made_the_data_is_found_again():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4000, 3)) * 3
    truth = np.array([rng.choice(3, p=p) for p in softmax(logits, 2.0)])
    assert fit_temperature(logits, truth) == pytest.approx(2.0, rel=0.1)
    assert expected_calibration_error(softmax(logits, 2.0), truth) < expected_calibration_error(softmax(logits), truth)


def test_expected_calibration_error_and_to_check():
    truth = np.array([0, 0, 1, 2])
    confident_right = np.eye(3)[truth]
    assert expected_calibration_error(confident_right, truth) == 0.0
    confident_wrong = np.eye(3)[[1, 1, 2, 0]]
    assert expected_calibration_error(confident_wrong, truth) == pytest.approx(1.0)
    assert to_check(np.array([[0.5, 0.3, 0.2], [0.9, 0.05, 0.05]])).tolist() == [True, False]
    assert 0.5 < CHECK_BELOW < 1.0


def test_classify_input_reads_an_optional_rating(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"text": "long wait", "rating": 1}\n{"text": "fine"}\n{"text": "ok", "rating": ""}\n')
    assert read_inputs(jsonl) == [("long wait", 1), ("fine", None), ("ok", None)]
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("text,rating\nsuper accueil,5\nbof,\n")
    assert read_inputs(csv_file) == [("super accueil", 5), ("bof", None)]


@pytest.mark.parametrize("bad", ['"six"', "0", "6", "4.5", "true"])
def test_a_rating_out_of_range_is_refused_with_its_line(tmp_path, bad):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"text": "ok", "rating": 3}\n{"text": "x", "rating": ' + bad + "}\n")
    with pytest.raises(ValueError, match=r"in.jsonl:2: the rating must be a whole number from 1 to 5"):
        read_inputs(jsonl)
