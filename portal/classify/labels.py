"""What each feedback gets: sentiment, topics, urgency, flags, language; and the topic taxonomy."""

import re
from dataclasses import dataclass

from portal.store.core.tables import SENTIMENTS  # noqa: F401 (classify's modules read it from here)

FLAGS = ("abusive", "spam")
LABEL_KEYS = ("sentiment", "sentiment_scores", "sentiment_source", "to_check", "topics", "topic_scores", "urgent",
              "flags", "language", "model_version")


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
