"""Clear French and English feedback, typos included, gets the labels a person would give."""

import numpy as np
import pytest

from portal.classify.labels import LABEL_KEYS
from portal.feedback.language import detect_language


@pytest.mark.parametrize("text, language", [
    ("a chaque foi j veut chatter avec une personne on me dit que cette fennetre n est pa faite pour sa", "fr"),
    ("The online form keeps crashing when I upload my passport", "en"),
    ("Mi hijo necesita una cita en la prefectura, nadie contesta el teléfono", "other"),
    ("🙂", "other"),
    ("ＤＯＳＳＩＥＲ bloqué depuis le mois dernier", "fr"),
])
def test_language(text, language):
    assert detect_language(text) == language


def test_clear_examples(classifier):
    texts = [
        "le site plante a chaque foi que je valide le formulaire, impossible de me conecter depuis 1 semaine",
        "Tres bon acceuil, l'agent a été super gentil et patient avec moi, merci beaucoup",
        "The staff were really helpful and friendly, thank you so much",
        "ive been waiting 4 months for my refund and nobody answers my emails, this is a disgrace",
        "mon titre de séjour expire dans 3 jours et je n'ai aucun rendez-vous, je vais perdre mon emploi",
    ]
    labels = classifier.classify(texts)

    assert [set(label) for label in labels] == [set(LABEL_KEYS)] * len(texts)
    assert [label["sentiment"] for label in labels] == ["negative", "positive", "positive", "negative", "negative"]
    assert "digital" in labels[0]["topics"]
    assert "relation" in labels[1]["topics"]
    assert "responsiveness" in labels[3]["topics"]
    assert labels[4]["urgent"] is True
    assert labels[1]["urgent"] is False and labels[2]["urgent"] is False
    assert [label["language"] for label in labels] == ["fr", "fr", "en", "en", "fr"]
    for label in labels:
        assert sum(label["sentiment_scores"].values()) == pytest.approx(1.0, abs=1e-3)
        assert label["model_version"] == classifier.model_version


def test_flags(classifier):
    spam, abusive, plain = classifier.classify([
        "GAGNEZ 500€ tout de suite !!! cliquez ici casino bonus gratuit www.promo.example",
        "bande d'incapables et de fainéants, allez vous faire voir",
        "J'ai renouvelé ma carte d'identité sans souci",
    ])
    assert "spam" in spam["flags"]
    assert "abusive" in abusive["flags"]
    assert plain["flags"] == []


def test_topic_added_by_an_administrator_from_its_description(classifier):
    classifier.add_topic("parking", "stationnement, places de parking, se garer devant le bâtiment; car park")
    try:
        about, unrelated = classifier.classify([
            "Impossible de se garer devant la mairie, le parking est toujours plein",
            "Merci pour la rapidité du traitement de mon dossier",
        ])
        assert "parking" in about["topics"]
        assert "parking" not in unrelated["topics"]
        assert about["topic_scores"]["parking"] > unrelated["topic_scores"]["parking"]
    finally:
        classifier.described_topics = []


TEXTS_OF_MIXED_LENGTH = ["court", "un texte un peu plus long sur la préfecture et les rendez-vous", ""]


def test_float32_batches_give_the_same_embeddings_as_one_by_one(float_encoder):
    together = float_encoder.embed(TEXTS_OF_MIXED_LENGTH, batch_size=32)
    alone = np.stack([float_encoder.embed([t])[0] for t in TEXTS_OF_MIXED_LENGTH])
    assert np.allclose(together, alone, atol=1e-4)


def test_int8_batches_stay_close_to_one_by_one(encoder):
    """int8 activations are scaled per batch, so neighbours move a text slightly, never far."""
    together = encoder.embed(TEXTS_OF_MIXED_LENGTH, batch_size=32)
    alone = np.stack([encoder.embed([t])[0] for t in TEXTS_OF_MIXED_LENGTH])
    assert (together * alone).sum(axis=1).min() >= 0.97


# Written for these tests: rated complaints; the text alone is unsure of some (the last reads neutral).
RATED_COMPLAINTS = [
    ("J'ai attendu 2 heures pour mon passeport, le rendez-vous a été décalé trois fois", 2),
    ("Guichet fermé sans prévenir, inadmissible", 1),
    ("the verification code comes after it has expired. tried 8 times", 1),
    ("On m'a donné une information différente à chaque fois. Qui croire ?", 1),
]


def test_the_citizens_rating_is_combined_with_the_text(classifier):
    texts = [t for t, _ in RATED_COMPLAINTS]
    ratings = [r for _, r in RATED_COMPLAINTS]
    text_only = classifier.classify(texts)
    rated = classifier.classify(texts, ratings=ratings)
    assert all(label["sentiment_source"] == "text" for label in text_only)
    assert all(label["sentiment_source"] == "text+rating" for label in rated)
    assert [label["sentiment"] for label in rated] == ["negative"] * len(texts)
    # The rating moves the probabilities, not the topics.
    assert [label["topics"] for label in rated] == [label["topics"] for label in text_only]


def test_a_rating_without_text_is_labelled_from_the_rating_alone(classifier):
    low, high, unrated = classifier.classify(["", "  ", ""], ratings=[1, 5, None])
    assert (low["sentiment"], low["sentiment_source"]) == ("negative", "rating")
    assert (high["sentiment"], high["sentiment_source"]) == ("positive", "rating")
    assert unrated["sentiment_source"] == "text"
    assert low["topics"] == [] and high["topics"] == []


def test_an_unsure_sentiment_is_to_check(classifier):
    labels = classifier.classify(["ok", "Tres bon acceuil, l'agent a été super gentil et patient avec moi, merci beaucoup"])
    for label in labels:
        assert label["to_check"] == (max(label["sentiment_scores"].values()) < 0.6)
    assert labels[1]["to_check"] is False
