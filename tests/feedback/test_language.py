"""Tests for language detection of feedback texts."""

import time

import pytest

from portal.feedback.language import detect_language

FRENCH = [
    "tres long",
    "c nul",
    "ok merci",
    "Merci!",
    "super",
    "nul",
    "bonjour",
    "merci beaucoup",
    "Service tres lent, jai attendu 2h pour rien",
    "personne au telefone, c'est inadmissible",
    "l'acceuil etait super sympa merci a lagent",
    "Franchement c'est du n'importe quoi",
    "dossier perdu une nouvelle fois",
    "bravo pour la rapidité",
    "attente interminnable au guichet",
    "Je n'ai jamais eu de reponse a mon courrier",
    "mon fils a perdu sa carte vitale que faire",
    "les toilettes sont fermees depuis un mois",
    "Impossible de se garer devant la mairie",
    "le guichetier ma mal parlé",
    "pq c fermé le samedi??",
    "où est passé mon colis",
    "servise trop lon",
    "horraire pas respecté",
    "reponse tardive",
]

ENGLISH = [
    "too slow!!",
    "thx",
    "hello",
    "thanks a lot",
    "waiting",
    "Waited two hours for nothing, terrible service",
    "the staff were really helpful thank you",
    "website keeps crashing when I upload my documents",
    "nobody answers the phone, its ridiculous",
    "great experience, quick and easy",
    "appointment cancelled without any notice",
    "horrible experiance, never again",
    "I have been trying to renew my passport for months",
    "why is the office closed on saturdays??",
    "the queue was soooo long",
    "worst exprience ever",
    "Bonjour, the staff was nice",
]

OTHER = [
    "",
    "   ",
    "12/03/2024",
    "!!!",
    "ok",
    "Muy mal servicio, esperé dos horas",
    "El personal fue muy amable, gracias",
    "No funciona la página web",
    "Hola",
    "Ich habe drei Stunden gewartet, sehr schlecht",
    "Danke für die schnelle Hilfe",
    "Warum ist das Büro samstags geschlossen",
    "Guten Tag",
    "Il servizio è stato pessimo, ho aspettato troppo",
    "Grazie mille per l'aiuto",
    "O atendimento foi muito demorado",
    "Não consegui marcar",
    "Ik heb lang moeten wachten",
    "Waarom is het kantoor dicht",
    "الخدمة سيئة جدا",
    "Очень долго ждал",
    "服务太慢了",
    "שירות גרוע",
]


@pytest.mark.parametrize("text", FRENCH)
def test_french(text):
    assert detect_language(text) == "fr"


@pytest.mark.parametrize("text", ENGLISH)
def test_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", OTHER)
def test_other_languages_scripts_and_empty_text(text):
    assert detect_language(text) == "other"


def test_a_tie_between_french_and_english_on_a_single_word_reads_as_french():
    # "long" is both; the portal is French, so that is the likelier reading.
    assert detect_language("long") == "fr"


def test_a_long_text_is_quick():
    text = "Service tres lent, jai attendu 2h pour rien. " * 100
    started = time.perf_counter()
    assert detect_language(text) == "fr"
    assert time.perf_counter() - started < 0.1
