"""Words for codes: topics, channels, statuses, given_as, sentiment, roles and audit actions, in the page's language.

The features own their vocabularies (which codes exist); this is the one place that names them for
people. Each French word is written once here, and gettext gives the English.
"""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

from portal.store import topics as topic_store
from portal.web.formats import format_day
from portal.web.i18n import N_, current_language, translate, translations

# One (words, value) pair of a detail within a line, and the separator of pairs: French spaces its colons.
PAIR = N_("%(key)s : %(value)s")
PAIRS_SEPARATOR = N_("%(before)s ; %(after)s")

KINDS = ("status", "channel", "given_as", "sentiment", "sentiment_guess", "sentiment_source", "topic", "role", "action",
         "sign_in_method", "sign_in_refusal", "commitment_status", "trend", "withdraw_reason", "answer_mail")


@lru_cache(maxsize=None)
def vocabulary(lang: str) -> dict[str, dict[str, str]]:
    """Every code's words in one language: {kind: {code: words}}."""
    t = translations(lang)
    return {
        "status": {
            "received": t.pgettext("status", "Reçu"),
            "in_review": t.pgettext("status", "En cours d’examen"),
            "answered": t.pgettext("status", "Répondu"),
            "closed": t.pgettext("status", "Clos"),
            # The inbox filter's value for received and in review together.
            "open": t.pgettext("status", "À traiter"),
        },
        "channel": {
            "web": t.pgettext("channel", "Site web"),
            "counter": t.pgettext("channel", "Guichet"),
            "kiosk": t.pgettext("channel", "Borne"),
            "api": t.pgettext("channel", "Applications partenaires"),
        },
        "given_as": {
            "online": t.pgettext("given as", "en ligne"),
            "spoken": t.pgettext("given as", "à l’oral"),
            "paper": t.pgettext("given as", "sur carte papier"),
            "kiosk": t.pgettext("given as", "sur la borne"),
            "buttons": t.pgettext("given as", "sur le boîtier à boutons"),
        },
        "sentiment": {
            "negative": t.pgettext("sentiment", "Négatif"),
            "neutral": t.pgettext("sentiment", "Neutre"),
            "positive": t.pgettext("sentiment", "Positif"),
            "": t.pgettext("sentiment", "non classé"),
        },
        # The model's guess when its sentiment is to be checked.
        "sentiment_guess": {
            "negative": t.gettext("plutôt négatif"),
            "neutral": t.gettext("plutôt neutre"),
            "positive": t.gettext("plutôt positif"),
        },
        # Where an effective sentiment came from.
        "sentiment_source": {
            "text": t.gettext("d’après le texte"),
            "text+rating": t.gettext("d’après le texte et la note"),
            "rating": t.gettext("d’après la note seule"),
            "staff": t.gettext("corrigé par l’équipe"),
        },
        "topic": {
            "access": t.pgettext("topic", "Accès au service"),
            "information": t.pgettext("topic", "Information"),
            "relation": t.pgettext("topic", "Relation avec les agents"),
            "responsiveness": t.pgettext("topic", "Délais et réactivité"),
            "simplicity": t.pgettext("topic", "Simplicité des démarches"),
            "digital": t.pgettext("topic", "Services en ligne"),
        },
        "role": {
            "admin": t.pgettext("role", "administrateur"),
            "owner": t.pgettext("role", "responsable de service"),
            "agent": t.pgettext("role", "agent"),
            "clerk": t.pgettext("role", "agent d’accueil"),
        },
        "action": {
            "login": t.pgettext("audit action", "Connexion"),
            "login_failed": t.pgettext("audit action", "Connexion refusée"),
            "logout": t.pgettext("audit action", "Déconnexion"),
            "logout_everywhere": t.pgettext("audit action", "Déconnexion de tous les appareils"),
            "view_original": t.pgettext("audit action", "Lecture du texte original"),
            "correct_labels": t.pgettext("audit action", "Correction des labels"),
            "change_status": t.pgettext("audit action", "Changement de statut"),
            "answer": t.pgettext("audit action", "Réponse au citoyen"),
            "publish": t.pgettext("audit action", "Publication"),
            "withdraw": t.pgettext("audit action", "Retrait d’une publication"),
            "export": t.pgettext("audit action", "Export CSV"),
            "create_user": t.pgettext("audit action", "Création d’un compte"),
            "change_role": t.pgettext("audit action", "Changement de rôle"),
            "edit_template": t.pgettext("audit action", "Modèle de réponse enregistré"),
            "group_confirm": t.pgettext("audit action", "Groupe confirmé"),
            "group_split": t.pgettext("audit action", "Avis sortis d’un groupe"),
            "group_merge": t.pgettext("audit action", "Groupes fusionnés"),
            "create_service": t.pgettext("audit action", "Création d’un service"),
            "change_service": t.pgettext("audit action", "Modification d’un service"),
            "deactivate_service": t.pgettext("audit action", "Désactivation d’un service"),
            "create_office": t.pgettext("audit action", "Création d’un lieu d’accueil"),
            "change_office": t.pgettext("audit action", "Modification d’un lieu d’accueil"),
            "create_device": t.pgettext("audit action", "Création d’une borne ou d’un boîtier"),
            "new_device_code": t.pgettext("audit action", "Nouveau code de mise en service"),
            "change_device": t.pgettext("audit action", "Modification d’une borne ou d’un boîtier"),
            "revoke_device": t.pgettext("audit action", "Révocation d’une borne ou d’un boîtier"),
            "invite_user": t.pgettext("audit action", "Invitation d’un agent"),
            "set_password": t.pgettext("audit action", "Mot de passe choisi"),
            "deactivate_user": t.pgettext("audit action", "Désactivation d’un compte"),
            "reset_sessions": t.pgettext("audit action", "Fermeture des sessions d’un compte"),
            "subscribe_digest": t.pgettext("audit action", "Abonnement à une synthèse"),
            "change_subscription": t.pgettext("audit action", "Modification d’un abonnement"),
            "add_topic": t.pgettext("audit action", "Ajout d’un thème"),
            "rename_topic": t.pgettext("audit action", "Thème renommé"),
            "retire_topic": t.pgettext("audit action", "Thème retiré"),
            "clear_flag": t.pgettext("audit action", "Signalement levé"),
            "retry_answer_mail": t.pgettext("audit action", "Nouvel envoi de la réponse par e-mail"),
            "assign": t.pgettext("audit action", "Attribution"),
            "unassign": t.pgettext("audit action", "Attribution retirée"),
            "resolved_answer": t.pgettext("audit action", "Réponse de la personne : problème résolu ?"),
            "withdraw_entry": t.pgettext("audit action", "Retrait d’une saisie au guichet"),
            "create_api_key": t.pgettext("audit action", "Création d’une clé d’API partenaire"),
            "revoke_api_key": t.pgettext("audit action", "Révocation d’une clé d’API partenaire"),
            "create_commitment": t.pgettext("audit action", "Engagement publié"),
            "update_commitment": t.pgettext("audit action", "Engagement mis à jour"),
            "find_personal_data": t.pgettext("audit action", "Recherche des données d’une personne"),
            "export_personal_data": t.pgettext("audit action", "Export des données d’une personne"),
            "erase_personal_data": t.pgettext("audit action", "Effacement de données personnelles"),
            "retention_run": t.pgettext("audit action", "Conservation : effacements du jour"),
        },
        # What a commitment a service published has become ("you said, we did").
        "commitment_status": {
            "planned": t.pgettext("commitment", "Prévu"),
            "in_progress": t.pgettext("commitment", "En cours"),
            "done": t.pgettext("commitment", "Fait"),
            "dropped": t.pgettext("commitment", "Abandonné"),
        },
        # How often a topic comes up, against the period before.
        "trend": {
            "rising": t.pgettext("trend", "en hausse"),
            "falling": t.pgettext("trend", "en baisse"),
            "stable": t.pgettext("trend", "stable"),
            "": t.pgettext("trend", "trop peu d’avis pour dire"),
        },
        # Where the e-mail of a public answer stands (portal.store.answer_mail).
        "answer_mail": {
            "not_asked": t.pgettext("answer e-mail", "pas d’e-mail : la personne n’a pas demandé à être recontactée"),
            "no_smtp": t.pgettext("answer e-mail", "pas envoyée : aucun envoi d’e-mail n’est configuré sur ce portail"),
            "queued": t.pgettext("answer e-mail", "en cours d’envoi par e-mail"),
            "sent": t.pgettext("answer e-mail", "envoyée par e-mail"),
            "failed": t.pgettext("answer e-mail", "l’envoi par e-mail a échoué"),
            "": t.pgettext("answer e-mail", "état de l’e-mail inconnu (réponse antérieure au suivi des envois)"),
        },
        # The keys of an audit event's detail.
        "detail": {
            "before": t.pgettext("audit detail", "Avant"),
            "after": t.pgettext("audit detail", "Après"),
            "from": t.pgettext("audit detail", "Ancien statut"),
            "to": t.pgettext("audit detail", "Nouveau statut"),
            "bulk": t.pgettext("audit detail", "Plusieurs avis à la fois"),
            "group": t.pgettext("audit detail", "Groupe n°"),
            "title": t.pgettext("audit detail", "Titre"),
            "dissolved": t.pgettext("audit detail", "Groupe défait"),
            "merged": t.pgettext("audit detail", "Groupe fusionné n°"),
            "merged_title": t.pgettext("audit detail", "Titre du groupe fusionné"),
            "rows": t.pgettext("audit detail", "Lignes exportées"),
            "filters": t.pgettext("audit detail", "Filtres"),
            "emailed": t.pgettext("audit detail", "Envoyée par e-mail"),
            "length": t.pgettext("audit detail", "Longueur (caractères)"),
            "template": t.pgettext("audit detail", "Modèle n°"),
            "email": t.pgettext("audit detail", "Adresse e-mail"),
            "role": t.pgettext("audit detail", "Rôle"),
            "office": t.pgettext("audit detail", "Lieu d’accueil"),
            "office_id": t.pgettext("audit detail", "Lieu d’accueil n°"),
            "api_key": t.pgettext("audit detail", "Clé d’API n°"),
            "name": t.pgettext("audit detail", "Nom"),
            "services": t.pgettext("audit detail", "Services"),
            "service_ids": t.pgettext("audit detail", "Services n°"),
            "replaced_by_sign_in": t.pgettext("audit detail", "Remplacée par une nouvelle connexion"),
            "sessions": t.pgettext("audit detail", "Sessions fermées"),
            "sentiment": t.pgettext("audit detail", "Sentiment"),
            "topics": t.pgettext("audit detail", "Thèmes"),
            "topic": t.pgettext("audit detail", "Thème"),
            "urgent": t.pgettext("audit detail", "Urgent"),
            "status": t.pgettext("audit detail", "Statut"),
            "channel": t.pgettext("audit detail", "Canal"),
            "since": t.pgettext("audit detail", "Depuis le"),
            "until": t.pgettext("audit detail", "Jusqu’au"),
            "q": t.pgettext("audit detail", "Recherche"),
            "to_check": t.pgettext("audit detail", "À vérifier seulement"),
            "order": t.pgettext("audit detail", "Ordre"),
            "answer": t.pgettext("audit detail", "Réponse"),
            "by": t.pgettext("audit detail", "Par"),
            "commitment": t.pgettext("audit detail", "Engagement n°"),
            "commitment_status": t.pgettext("audit detail", "Statut de l’engagement"),
            "method": t.pgettext("audit detail", "Moyen de connexion"),
            "reason": t.pgettext("audit detail", "Motif"),
            "invitation": t.pgettext("audit detail", "Invitation n°"),
            "sign_up": t.pgettext("audit detail", "Compte créé à la première connexion"),
            "person": t.pgettext("audit detail", "Attribué à"),
            "team": t.pgettext("audit detail", "Attribué à l’équipe"),
            "due": t.pgettext("audit detail", "Échéance"),
            "view": t.pgettext("audit detail", "Vue"),
            "comment": t.pgettext("audit detail", "Commentaire"),
            "email_state": t.pgettext("audit detail", "E-mail"),
        },
        # How a person signed in, and why a sign-in was refused (the audit's detail).
        "sign_in_method": {
            "oidc": t.pgettext("sign-in method", "service d’identité"),
            "password": t.pgettext("sign-in method", "mot de passe"),
            "invitation": t.pgettext("sign-in method", "lien d’invitation"),
        },
        "sign_in_refusal": {
            "state": t.pgettext("sign-in refusal", "demande expirée ou d’un autre navigateur"),
            "denied": t.pgettext("sign-in refusal", "annulée par la personne"),
            "refused": t.pgettext("sign-in refusal", "refusée par le service d’identité"),
            "signature": t.pgettext("sign-in refusal", "signature non valable"),
            "issuer": t.pgettext("sign-in refusal", "réponse d’un autre service d’identité"),
            "audience": t.pgettext("sign-in refusal", "réponse destinée à une autre application"),
            "nonce": t.pgettext("sign-in refusal", "réponse d’une autre demande"),
            "expired": t.pgettext("sign-in refusal", "réponse expirée"),
            "invalid": t.pgettext("sign-in refusal", "réponse incomplète"),
            "no_email": t.pgettext("sign-in refusal", "adresse e-mail absente"),
            "unverified": t.pgettext("sign-in refusal", "adresse e-mail non vérifiée"),
            "domain": t.pgettext("sign-in refusal", "domaine non admis"),
            "unknown": t.pgettext("sign-in refusal", "aucun compte pour cette adresse"),
            "inactive": t.pgettext("sign-in refusal", "compte désactivé"),
            "unreachable": t.pgettext("sign-in refusal", "service d’identité injoignable"),
            "provider": t.pgettext("sign-in refusal", "service d’identité mal configuré"),
        },
        # Why a clerk withdrew an entry (counters.clerk WITHDRAW_REASONS).
        "withdraw_reason": {
            "duplicate": t.pgettext("withdraw reason", "Saisie en double"),
            "wrong_service": t.pgettext("withdraw reason", "Mauvais service ou mauvais lieu (à saisir à nouveau)"),
            "not_feedback": t.pgettext("withdraw reason", "Ce n’était pas un avis"),
            "test": t.pgettext("withdraw reason", "Saisie d’essai"),
        },
        # The citizen's answer to "is the problem resolved?", who acted when no staff account did, and why.
        "resolved": {
            "yes": t.pgettext("resolved", "résolu"),
            "no": t.pgettext("resolved", "non résolu"),
            "partly": t.pgettext("resolved", "résolu en partie"),
        },
        "by": {"citizen": t.pgettext("audit actor", "la personne qui a donné l’avis"), "": "–"},
        "reason": {"not_resolved": t.pgettext("audit reason", "problème non résolu selon la personne")},
        # The inbox's orders other than the default one.
        "order": {"least_sure": t.pgettext("inbox order", "les moins sûrs d’abord"),
                  "newest": t.pgettext("inbox order", "les plus récents d’abord"),
                  "oldest": t.pgettext("inbox order", "les plus anciens d’abord"),
                  "due": t.pgettext("inbox order", "l’échéance la plus proche d’abord")},
        # The inbox's views and its choice of feedback by their text (portal.review.inbox).
        "view": {"new": t.pgettext("inbox view", "nouveaux depuis ma dernière visite"),
                 "mine": t.pgettext("inbox view", "assignés à moi"),
                 "unassigned": t.pgettext("inbox view", "non assignés"),
                 "overdue": t.pgettext("inbox view", "en retard"),
                 "check": t.pgettext("inbox view", "à vérifier"),
                 "urgent": t.pgettext("inbox view", "urgents")},
        "comment": {"none": t.pgettext("inbox comment", "notes sans commentaire"),
                    "all": t.pgettext("inbox comment", "avec ou sans commentaire")},
        "yes_no": {"yes": t.pgettext("answer", "oui"), "no": t.pgettext("answer", "non"), "none": t.pgettext("answer", "aucun")},
    }


# Administrators' topics (described in the administration pages) are named by the labels they gave,
# read from the store at most every DESCRIBED_SECONDS by each process, and at once after a change here.
DESCRIBED_SECONDS = 60
_described: dict[str, dict[str, str]] = {}
_described_read_at: float | None = None


async def read_described_topics(force: bool = False) -> None:
    """Refresh the words of administrators' topics (retired ones too: older feedback still carries them)."""
    global _described, _described_read_at
    if not force and _described_read_at is not None and time.monotonic() - _described_read_at < DESCRIBED_SECONDS:
        return
    rows = await topic_store.every_topic()
    _described = {r["name"]: {"fr": r["label_fr"], "en": r["label_en"]} for r in rows}
    _described_read_at = time.monotonic()


def _readable(code: str) -> str:
    # A code this module does not know yet (an administrator's topic, a newer action): at least no underscores.
    return code.replace("_", " ")


def label(kind: str, code: str | None, lang: str | None = None) -> str:
    """The words for a code of a vocabulary, in `lang` or the page's language."""
    lang = lang or current_language.get()
    words = vocabulary(lang)[kind]
    key = code or ""
    if kind == "topic" and key not in words and key in _described:
        return _described[key].get(lang) or _described[key]["fr"]
    return words.get(key) or (_readable(key) if key else words.get("", "–"))


def topics_label(topics: str | list[str] | None, lang: str | None = None) -> str:
    """Topics (a list, or the comma-separated column) as words; "–" for none."""
    codes = [t for t in (topics.split(",") if isinstance(topics, str) else topics or []) if t]
    return ", ".join(label("topic", code, lang) for code in codes) or "–"


def _value(key: str, value, lang: str) -> str:
    words = vocabulary(lang)
    if isinstance(value, bool):
        return words["yes_no"]["yes" if value else "no"]
    if value is None or value == [] or value == "":
        return words["yes_no"]["none"]
    if key in ("from", "to", "status"):
        return label("status", str(value), lang)
    if key == "sentiment":
        return label("sentiment", str(value), lang)
    if key in ("topics", "topic"):
        return topics_label(value if isinstance(value, list) else str(value), lang)
    if key == "channel":
        return label("channel", str(value), lang)
    if key == "commitment_status":
        return label("commitment_status", str(value), lang)
    if key == "role":
        return label("role", str(value), lang)
    if key == "email_state":
        return label("answer_mail", str(value), lang)
    if key in ("order", "view", "comment"):
        return label(key, str(value), lang)
    if key == "answer":
        return label("resolved", str(value), lang)
    if key == "by":
        return label("by", str(value), lang)
    if key == "method":
        return label("sign_in_method", str(value), lang)
    if key == "reason":
        # A withdrawn counter entry's reason, a refused sign-in's, or a re-opening's.
        kind = next((k for k in ("withdraw_reason", "sign_in_refusal") if str(value) in words[k]), "reason")
        return label(kind, str(value), lang)
    if key in ("since", "until", "due"):
        return format_day(value, dt.timezone.utc, lang)
    if isinstance(value, dict):
        pairs = [translate(lang, PAIR, {"key": key_label(k, lang), "value": _value(k, v, lang)}) for k, v in value.items()]
        text = pairs[0] if pairs else ""
        for pair in pairs[1:]:
            text = translate(lang, PAIRS_SEPARATOR, {"before": text, "after": pair})
        return text
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def key_label(key: str, lang: str | None = None) -> str:
    return vocabulary(lang or current_language.get())["detail"].get(key) or _readable(key)


def detail_items(detail: dict | None, lang: str | None = None) -> list[tuple[str, str]]:
    """An audit event's detail as (words, value in words) pairs, never raw JSON."""
    lang = lang or current_language.get()
    return [(key_label(key, lang), _value(key, value, lang)) for key, value in (detail or {}).items()]
