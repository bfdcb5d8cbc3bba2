"""Language detection (French, English or other) for short feedback, without any model file."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from functools import cache
from typing import Literal

Language = Literal["fr", "en", "other"]

# The most frequent words of each language, plus the spellings people really type in
# feedback (no accents, text-message forms). French and English are what we must tell
# apart; the other languages are here so that their texts are recognised as "other"
# rather than counted as whichever of the two they happen to resemble.
_COMMON_WORDS: dict[str, str] = {
    "fr": """
        le la les un une des du de d l et ou mais donc car ni que qui quoi quand comment
        pourquoi où ce cet cette ces ça cela c est sont suis es êtes sommes était été être
        avoir ai as avons avez ont avait j je tu il elle on nous vous ils elles me moi te toi
        se lui leur leurs mon ma mes ton ta tes son sa ses notre nos votre vos pas ne plus
        très tres trop peu beaucoup bcp rien tout tous toute toutes aussi encore déjà jamais
        toujours tjrs avec sans pour par sur sous dans chez entre vers depuis pendant avant
        après apres bien mal bon bonne mauvais nul nulle merci mrc bonjour bjr bonsoir salut
        slt svp stp oui non si fait faire dit dire peut peux veux voudrais faut attente
        attendre attendu heure heures minutes jours semaine semaines mois rendez vous rdv
        guichet dossier personne accueil agent agents service services mairie demande
        réponse reponse aucune aucun lent lente long longue rapide facile difficile
        impossible vraiment franchement parce pcq pk jsp ct cé chui jai g trés ici là
        y en au aux quel quelle super génial nickel top pire meilleur
    """,
    "en": """
        the a an and or but so of to in on at for with without from by about into over
        after before is are was were be been being am i you he she it we they me him her
        us them my your his its our their this that these those there here what which who
        when where why how not no yes very too much many more most some any all nothing
        have has had do does did done can could would should will wont cant dont didnt
        doesnt isnt im ive its thank thanks thx please pls plz u ur hi hello good bad great
        terrible awful slow fast long wait waiting waited hour hours minutes days week
        weeks month office staff service people nobody someone appointment queue line
        form online website app answer reply help still never always again really just
        only even get got make made said told asked called call phone rude nice useful
        useless lol worst best worse better ever every
    """,
    "es": """
        el la los las un una unos unas y o pero que de del en con por para sin sobre es
        son fue estaba estoy está están muy mucho poco nada todo todos también no sí
        gracias hola buenos días hora horas tiempo servicio atención cita espera
        esperando nadie porque cuando donde cómo qué yo tú él ella nosotros ustedes
        mi su sus hay
    """,
    "de": """
        der die das den dem des ein eine einen einem und oder aber nicht kein keine ist
        sind war waren bin bist hat habe haben wird werden ich du er sie es wir ihr mit
        ohne für von zu zum zur auf aus bei nach vor über sehr viel zu lange warten
        stunde stunden danke bitte hallo guten tag termin niemand immer noch schon auch
        nur wie was wo warum wann mein meine dein schlecht gut
    """,
    "it": """
        il lo la i gli le un uno una e o ma che di del della dei in con per su da non è
        sono era stato molto troppo poco niente tutto tutti anche grazie ciao buongiorno
        ore ora tempo servizio attesa appuntamento nessuno perché quando dove come io tu
        lui lei noi voi mio mia ancora sempre
    """,
    "pt": """
        o a os as um uma uns umas e ou mas que de do da dos das em no na com por para sem
        é são foi era estou está muito pouco nada tudo todos também não sim obrigado
        obrigada olá bom dia hora horas tempo serviço atendimento espera ninguém porque
        quando onde como eu você ele ela nós meu minha ainda sempre
    """,
    "nl": """
        de het een en of maar dat die van in op met voor zonder naar bij is zijn was
        waren ben heb heeft hebben ik je jij hij zij wij we niet geen erg heel veel te
        lang wachten uur bedankt dank alstublieft hallo goedemorgen afspraak niemand
        altijd nog al ook alleen hoe wat waar waarom wanneer mijn slecht goed
    """,
}

# Letters that on their own say a lot about the language.
_TELLING_LETTERS: dict[str, str] = {
    "fr": "éèêàçùûîôëïœ",
    "es": "ñ¿¡áíóú",
    "de": "äöüß",
    "pt": "ãõ",
    "it": "ìò",
}

# Sentences of the kind the portal receives, used for character trigram statistics; they
# carry the decision when a text has no common word (typos, unusual vocabulary).
_SAMPLES: dict[str, str] = {
    "fr": """
        j'ai attendu plus de deux heures au guichet sans que personne ne m'explique pourquoi.
        l'agent était aimable mais le dossier n'avance toujours pas depuis trois semaines.
        impossible de prendre rendez-vous en ligne, le site affiche une erreur à chaque fois.
        merci pour votre accueil, la démarche a été rapide et les explications claires.
        les horaires d'ouverture ne sont pas adaptés aux personnes qui travaillent.
        personne ne répond au téléphone et la messagerie est pleine depuis des jours.
        je souhaiterais savoir où en est ma demande de carte d'identité, c'est urgent.
        le formulaire est beaucoup trop compliqué, il faudrait le simplifier.
        accueil chaleureux, attente raisonnable, je recommande ce service.
        la salle d'attente était sale et il n'y avait pas assez de chaises.
    """,
    "en": """
        i waited more than two hours at the counter and nobody told me why.
        the officer was friendly but my application has not moved for three weeks.
        it is impossible to book an appointment online, the website shows an error every time.
        thank you for the warm welcome, the process was quick and the explanations were clear.
        the opening hours do not suit people who work during the day.
        nobody answers the phone and the voicemail has been full for days.
        i would like to know where my identity card request stands, it is urgent.
        the form is far too complicated and should be simplified.
        friendly staff, reasonable waiting time, i would recommend this service.
        the waiting room was dirty and there were not enough chairs.
    """,
    "es": """
        esperé más de dos horas en la ventanilla y nadie me explicó por qué.
        el funcionario fue amable pero mi expediente no avanza desde hace tres semanas.
        es imposible pedir una cita por internet, la página muestra un error cada vez.
        gracias por la atención, el trámite fue rápido y las explicaciones claras.
        nadie contesta el teléfono y el buzón está lleno desde hace días.
    """,
    "de": """
        ich habe mehr als zwei stunden am schalter gewartet und niemand hat mir erklärt warum.
        der beamte war freundlich, aber mein antrag kommt seit drei wochen nicht voran.
        es ist unmöglich, online einen termin zu buchen, die seite zeigt jedes mal einen fehler.
        danke für den freundlichen empfang, alles ging schnell und die erklärungen waren klar.
        niemand geht ans telefon und die mailbox ist seit tagen voll.
    """,
    "it": """
        ho aspettato più di due ore allo sportello e nessuno mi ha spiegato perché.
        l'impiegato era gentile ma la mia pratica non avanza da tre settimane.
        è impossibile prenotare un appuntamento online, il sito mostra un errore ogni volta.
        grazie per l'accoglienza, la pratica è stata veloce e le spiegazioni chiare.
        nessuno risponde al telefono e la segreteria è piena da giorni.
    """,
    "pt": """
        esperei mais de duas horas no balcão e ninguém me explicou porquê.
        o funcionário foi simpático mas o meu processo não avança há três semanas.
        é impossível marcar uma consulta pela internet, o site mostra um erro todas as vezes.
        obrigado pelo atendimento, o processo foi rápido e as explicações claras.
        ninguém atende o telefone e a caixa de correio está cheia há dias.
    """,
    "nl": """
        ik heb meer dan twee uur aan het loket gewacht en niemand legde me uit waarom.
        de medewerker was vriendelijk maar mijn aanvraag schiet al drie weken niet op.
        het is onmogelijk om online een afspraak te maken, de site geeft elke keer een fout.
        bedankt voor de vriendelijke ontvangst, alles ging snel en de uitleg was duidelijk.
        niemand neemt de telefoon op en de voicemail zit al dagen vol.
    """,
}

_WORD = re.compile(r"[^\W\d_]+")
_NON_LETTERS = re.compile(r"[^\w]+|[\d_]+")


def _without_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@cache
def _word_languages() -> dict[str, frozenset[str]]:
    languages_of: dict[str, set[str]] = {}
    for language, words in _COMMON_WORDS.items():
        for word in words.split():
            # People often drop accents, so the bare spelling counts as well.
            for spelling in {word, _without_accents(word)}:
                languages_of.setdefault(spelling, set()).add(language)
    return {word: frozenset(languages) for word, languages in languages_of.items()}


def _trigrams(text: str) -> list[str]:
    padded = " " + _NON_LETTERS.sub(" ", text).strip() + " "
    return [padded[i:i + 3] for i in range(len(padded) - 2) if padded[i + 1] != " "]


@cache
def _trigram_log_probabilities() -> dict[str, tuple[dict[str, float], float]]:
    """Per language: log-probability of each seen trigram, and of an unseen one."""
    tables = {}
    for language, sample in _SAMPLES.items():
        counts = Counter(_trigrams(sample.lower()))
        total, vocabulary = sum(counts.values()), len(counts) + 1
        tables[language] = (
            {trigram: math.log((count + 1) / (total + vocabulary)) for trigram, count in counts.items()},
            math.log(1 / (total + vocabulary)),
        )
    return tables


@functools.lru_cache(maxsize=4096)
def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _trigram_scores(text: str) -> dict[str, float]:
    trigrams = _trigrams(text)
    scores = {}
    for language, (log_probabilities, unseen) in _trigram_log_probabilities().items():
        scores[language] = sum(log_probabilities.get(trigram, unseen) for trigram in trigrams)
    return scores


# Below this many letters, a text without any common word is too little to go on.
_MIN_LETTERS_FOR_TRIGRAMS = 6


def detect_language(text: str) -> Language:
    """Whether `text` is French, English, or something else (including empty or unclear)."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    letters = [char for char in lowered if char.isalpha()]
    if not letters:
        return "other"
    # Most texts are plain ASCII: only other letters need a look-up of their Unicode name.
    latin_letters = sum(1 for char in letters if char.isascii() or _is_latin(char))
    if latin_letters * 2 < len(letters):
        return "other"

    scores = dict.fromkeys(_COMMON_WORDS, 0.0)
    word_languages = _word_languages()
    words = _WORD.findall(lowered)
    for word in words:
        for language in word_languages.get(word, ()):
            # A word shared by several languages is weaker evidence for each of them.
            scores[language] += 1 / len(word_languages[word])
    non_ascii = [char for char in lowered if not char.isascii()]
    for language, telling in _TELLING_LETTERS.items():
        scores[language] += 0.5 * sum(char in telling for char in non_ascii)

    best = max(scores.values())
    leaders = [language for language, score in scores.items() if score == best]
    if best == 0 or len(leaders) > 1:
        if len(letters) < _MIN_LETTERS_FOR_TRIGRAMS:
            if best == 0:
                return "other"
            # A tie between the two languages we serve on a tiny text: French, the
            # portal's language, is the likelier reading.
            return "fr" if "fr" in leaders else "other"
        trigram_scores = _trigram_scores(lowered)
        candidates = leaders if best > 0 else list(trigram_scores)
        winner = max(candidates, key=trigram_scores.__getitem__)
    else:
        winner = leaders[0]
    return winner if winner in ("fr", "en") else "other"
