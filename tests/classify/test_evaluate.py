"""`portal model evaluate`: per-label scores, confusion matrix, calibration and "to check" for a labelled CSV."""

import csv

import pytest

from portal.classify.evaluate import evaluate_file, format_evaluation
from portal.classify.labels import SENTIMENTS

ROWS = [  # written for this test
    ("Accueil tres agreable, dossier reglé en 10 minutes merci", "positive", "5"),
    ("The staff were kind and the form was easy", "positive", ""),
    ("3 heures debout pour un papier, personne ne répond au tel", "negative", "1"),
    ("site en panne depuis une semaine impossible de payer", "negative", "2"),
    ("Bonjour, quels sont les horaires d'ouverture le samedi ?", "neutral", "3"),
    ("Guichet fermé sans prévenir, inadmissible", "negative", "1"),
]


def write(path, rows, header=("text", "sentiment", "rating")):
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_labelled_file_is_scored_label_by_label(classifier, tmp_path):
    path = write(tmp_path / "rated.csv", ROWS)
    rated = evaluate_file(classifier, path)
    text_only = evaluate_file(classifier, path, text_only=True)
    assert rated.texts == text_only.texts == len(ROWS)
    assert rated.rated == 5 and text_only.rated == 0
    assert sum(map(sum, rated.confusion)) == len(ROWS)
    assert [sum(row) for row in rated.confusion] == [sum(1 for r in ROWS if r[1] == s) for s in SENTIMENTS]
    assert set(rated.sentiment) == set(SENTIMENTS)
    assert all(0.0 <= s.f1 <= 1.0 for s in rated.sentiment.values())
    assert 0.0 <= rated.calibration_error <= 1.0 and 0.0 <= rated.to_check <= 1.0
    report = format_evaluation(rated, classifier.model_version)
    for expected in ("macro-F1", "confusion", "expected calibration error", "to check", "5 with a rating"):
        assert expected in report


def test_the_services_publics_format_scores_topics(classifier, tmp_path):
    header = ("title", "description", "sentiment", "aspect_access", "aspect_responsiveness")
    rows = [("RDV impossible", "aucun créneau en ligne depuis des semaines", "negative", "negative", ""),
            ("Très long", "6 mois pour une réponse à mon dossier", "negative", "", "negative"),
            ("Super", "agent aimable et rapide", "positive", "", "positive")]
    result = evaluate_file(classifier, write(tmp_path / "sp.csv", rows, header))
    assert set(result.topics) == {"access", "responsiveness"}
    assert result.topics["access"].support == 1 and result.topics["responsiveness"].support == 2


def test_a_file_without_sentiment_or_with_a_bad_rating_is_refused(classifier, tmp_path):
    with pytest.raises(ValueError, match="no row with a text and a sentiment"):
        evaluate_file(classifier, write(tmp_path / "none.csv", [("un texte", "", "")]))
    with pytest.raises(ValueError, match=r"bad.csv:3: the rating must be a whole number from 1 to 5"):
        evaluate_file(classifier, write(tmp_path / "bad.csv", [("bien", "positive", "5"), ("nul", "negative", "0")]))
