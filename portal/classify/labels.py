"""What each feedback gets: sentiment, topics, urgency, flags, language; and the topic taxonomy."""

import re
import unicodedata
from dataclasses import dataclass

SENTIMENTS = ("negative", "neutral", "positive")
FLAGS = ("abusive", "spam")
LABEL_KEYS = ("sentiment", "sentiment_scores", "topics", "topic_scores", "urgent", "flags", "language", "model_version")


@dataclass(frozen=True)
class Topic:
    """A topic staff can filter on; `description` is enough to recognise it without examples."""

    name: str
    description: str


# Aligned with the five dimensions of the Services Publics+ quality framework, plus online services.
DEFAULT_TOPICS = (
    Topic("access", "reaching the service: appointments, opening hours, phone reachability, "
          "physical and disability access; prendre rendez-vous, horaires d'ouverture, joindre "
          "le service au téléphone, accessibilité des locaux"),
    Topic("information", "clarity, completeness and correctness of information and explanations; "
          "informations claires, explications, courriers compréhensibles, réponses justes"),
    Topic("relation", "courtesy, respect and listening of the staff; politesse, respect, écoute, "
          "amabilité des agents"),
    Topic("responsiveness", "waiting times, processing delays, answers to messages; temps "
          "d'attente, délais de traitement, réponse aux messages et relances"),
    Topic("simplicity", "complexity of the procedure, documents and steps required; complexité "
          "de la démarche, pièces justificatives, nombre d'étapes"),
    Topic("digital", "website, app or online-procedure malfunctions, log-in, errors; site "
          "internet, application, démarche en ligne qui plante, connexion, bug"),
)
DEFAULT_TOPIC_NAMES = tuple(t.name for t in DEFAULT_TOPICS)


def description_phrases(topic: Topic) -> list[str]:
    """The whole description, then each of its comma- or semicolon-separated parts.

    Each part ("horaires d'ouverture", "log-in") names one way a topic shows up; the cosine of a
    text to each part is a sharper cue than to the whole description.
    """
    parts = [p.strip() for p in re.split(r"[,;]", topic.description)]
    return [f"{topic.name}: {topic.description}", *(p for p in parts if len(p) > 3)]


def empty_label(model_version: str) -> dict:
    return {
        "sentiment": "neutral",
        "sentiment_scores": {s: 1.0 / 3 for s in SENTIMENTS},
        "topics": [],
        "topic_scores": {},
        "urgent": False,
        "flags": [],
        "language": "other",
        "model_version": model_version,
    }


# --- language: fr / en / other, from frequent function words (no model, no download) ---

_FRENCH = set("""
le la les un une des du de d l au aux et est sont ai as avons avez ont je j tu il elle on nous vous ils
elles ce c cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs qui que qu quoi dont
où pour par avec sans dans sur sous chez pas ne n plus très trop mais ou donc car si même aussi bien
toujours jamais rien été être avoir fait faire depuis alors comme quand après avant encore merci bonjour
y en m me moi te toi se s lui à ça cela était avait aucun aucune personne rendez vous dossier
""".split())
_ENGLISH = set("""
the a an and is are was were be been have has had i you he she it we they my your his her its our their
this that these those who what which where when why how to of in on at for with without from by not no
but or so if very too also still never nothing did do does done can cant could would will wont dont
didnt im ive me him them us thank thanks hello please just about after before again there here
""".split())
# Function words of other Latin-script languages, so Spanish or German is not taken for French.
_OTHER = set("""
el los las una uno y es son mi mis tu su sus con sin por para pero muy hay porque cuando donde nadie
necesito necesita usted gracias hola der die das und ist nicht ich sie wir mit ein eine zu von auf bitte
danke il lo gli della che non sono per una questo grazie o os um uma não com obrigado het een niet
""".split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> str:
    """'fr', 'en' or 'other', by counting French and English function words (and accents)."""
    words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", text or ""))]
    if not words:
        return "other"
    letters = "".join(words)
    if _mostly_non_latin(letters):
        return "other"
    fr = sum(w in _FRENCH for w in words)
    en = sum(w in _ENGLISH for w in words)
    other = sum(w in _OTHER for w in words)
    fr += 0.5 * sum(ch in "éèêàçùûôîœ" for ch in letters)
    total = len(words)
    best, score = ("fr", fr) if fr >= en else ("en", en)
    # Short texts ("merci !", "thanks") need one hit; longer ones a fair share of function words.
    needed = 1 if total <= 3 else max(1.0, 0.12 * total)
    return best if score >= needed and score > other else "other"


def _mostly_non_latin(letters: str) -> bool:
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    return latin < 0.5 * len(letters)
