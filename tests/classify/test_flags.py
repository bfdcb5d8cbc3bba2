"""The spam/abuse flag: anger and HTML are not abuse or spam; real abuse and spam are still caught, FR and EN, typos too."""

import pytest

from portal.classify.flags import has_insult, keep_flags, without_markup
from portal.classify.worker import classify_batch

ANGRY = [
    "c'est NUL, honteux, j'en ai marre !!!",
    "c nul, onteux, g en ai mare !!!",
    "NUL NUL NUL, service pourri",
    "vous vous moquez du monde, c'est nul",
    "j'en ai plein le dos de vos délais, c'est honteux",
    "This is RUBBISH, shameful, I'm fed up!!!",
    "pathetic service, what a joke",
    "terible, awfull, useles, im sick of this!!!",
]
MARKUP = [
    "<p>Bonjour, mon <b>dossier</b> est bloqué depuis 2 mois</p>",
    '<div style="color:red"><a href="https://mairie.example/rdv">prendre rendez-vous</a> ne marche pas &amp; c\'est nul</div>',
    "<script>alert(1)</script> le site ne marche pas",
    "Hello <br> my <i>passport</i> application is stuck for 3 weeks",
]
ABUSIVE = [
    "bande d'incapables et de fainéants, allez vous faire voir",
    "bande d'incapabl et de feneant, allé vous fair voir",
    "Service de merde tenu par des abrutis",
    "bande d'encules",
    "espece d'idiot",
    "you stupid lazy idiots go to hell",
    "you stupd lazy idiotz go to hel",
    "stupid bitch at the desk",
]
SPAM = [
    "GAGNEZ 500€ tout de suite !!! cliquez ici casino bonus gratuit www.promo.example",
    "gagnez un ifone gratuit cliquer ici www.cadeau.example",
    "WIN FREE iPhone now click here www.prize.example",
    "cheap loanz no credit chek call now",
]


def test_markup_is_removed_and_entities_read():
    assert without_markup("<p>Mon <b>dossier</b> &amp; ma carte</p>") == "Mon dossier & ma carte"
    assert without_markup("<script>alert(1)</script>rien") == "rien"
    assert without_markup("3 < 5 et 6 > 4") == "3 < 5 et 6 > 4"  # not markup: kept as typed
    assert without_markup("sans balise") == "sans balise"


@pytest.mark.parametrize("text", ABUSIVE[:5] + ["sale con", "vous êtes vraiment nuls", "je vais vous tuer",
                                                "you are all morons", "shut up you imbecile"])
def test_insults_slurs_and_threats_are_found(text):
    assert has_insult(text)


@pytest.mark.parametrize("text", ANGRY + [
    "Je n'arrive pas à connaître le débit de mon dossier, retard de 3 mois",
    "la collecte des ordures n'est pas passée, c'est nul",
    "ils sont incapables de répondre au téléphone",
    "it's all useless, the app crashes",
    "merci de me contacter, le formulaire de contact ne marche pas",
])
def test_anger_and_ordinary_words_are_no_insult(text):
    assert not has_insult(text)


def test_an_unsure_abuse_flag_needs_the_words():
    assert keep_flags("c'est nul", ["abusive"], 0.7) == []
    assert keep_flags("bande d'abrutis", ["abusive"], 0.7) == ["abusive"]
    assert keep_flags("anything", ["abusive", "spam"], 0.95) == ["abusive", "spam"]
    assert keep_flags("c'est nul", ["spam", "abusive"], 0.6) == ["spam"]


def test_anger_and_html_are_not_flagged_by_the_model(classifier):
    labels = classifier.classify(ANGRY + MARKUP)
    assert [(text, label["flags"]) for text, label in zip(ANGRY + MARKUP, labels) if label["flags"]] == []


def test_real_abuse_and_spam_are_still_caught(classifier):
    labels = classifier.classify(ABUSIVE + SPAM)
    assert ["abusive" in label["flags"] for label in labels[:len(ABUSIVE)]] == [True] * len(ABUSIVE)
    assert ["spam" in label["flags"] for label in labels[len(ABUSIVE):]] == [True] * len(SPAM)


def test_the_worker_reads_the_text_without_its_markup(classifier):
    items = [{"id": 1, "text": MARKUP[1], "rating": None}, {"id": 2, "text": SPAM[0], "rating": None}]
    html_one, spam_one = classify_batch(classifier, items)
    assert not html_one.flagged and spam_one.flagged
