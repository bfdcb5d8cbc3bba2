"""Everything the kiosk screen says, in French and English: the page carries both, the device or the visitor picks one."""

from __future__ import annotations

from portal.web.i18n import LANGUAGES, N_, translate

# The question and the topic chips come with each device's question set (counters/devices.py); the rest is here.
WORDS = {
    "title": N_("Borne d’avis – Guichet"),
    "loading_title": N_("Borne d’avis"),
    "loading": N_("Chargement…"),
    "noscript": N_("Cette borne a besoin de JavaScript. Vous pouvez donner votre avis sur le site Guichet."),
    "enrol_title": N_("Mettre en service cette borne"),
    "enrol_hint": N_("Scannez le code QR ou saisissez le code de mise en service affichés sur la page de l'appareil, dans Administration › Lieux d'accueil de l'espace agents."),
    "enrol_label": N_("Code de mise en service"),
    "enrol_submit": N_("Mettre en service"),
    "enrol_cancel": N_("Annuler"),
    "enrol_empty": N_("Saisissez le code de mise en service."),
    "enrol_refused": N_("Ce code est inconnu, déjà utilisé ou expiré. Demandez un nouveau code."),
    "enrol_too_many": N_("Trop d’essais. Patientez une minute."),
    "enrol_failed": N_("La mise en service a échoué. Réessayez."),
    "enrol_offline": N_("Pas de réseau : la mise en service demande une connexion."),
    # The same words as a new device's question set, which usually overrides them.
    "question": N_("Comment s'est passée votre visite aujourd'hui ?"),
    "face_1": N_("Très mécontent"),
    "face_2": N_("Mécontent"),
    "face_3": N_("Moyen"),
    "face_4": N_("Content"),
    "face_5": N_("Très content"),
    "topics_question": N_("Qu'est-ce qui a compté ? (facultatif)"),
    "comment_label": N_("Un mot de plus ? (facultatif, sans données personnelles)"),
    "send": N_("Envoyer"),
    "skip": N_("Passer"),
    "thanks_title": N_("Merci !"),
    "thanks": N_("Votre avis aide ce service à s’améliorer."),
    "done": N_("Terminer"),
    "reenrol": N_("Remettre en service"),
    "waiting": N_("%(n)s avis en attente d’envoi"),
    "unauthorized": N_("Non connecté : borne à remettre en service"),
    "offline": N_("Hors ligne"),
    "sending": N_("Envoi en cours"),
}
# The switch names the other language in that language: a name, not a translation.
SWITCH = {"fr": "English", "en": "Français"}


def kiosk_words() -> dict[str, dict[str, str]]:
    """{language: {key: words}} for the kiosk page's script; placeholders stay for the script to fill."""
    return {lang: {**{key: translate(lang, message) for key, message in WORDS.items()}, "switch": SWITCH[lang]}
            for lang in LANGUAGES}
