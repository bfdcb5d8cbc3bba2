"""The digest's words in French and English (e-mails are rendered outside any web request)."""

from __future__ import annotations

import datetime as dt

TOPICS = {
    "access": ("Accès au service", "Access to the service"),
    "information": ("Information", "Information"),
    "relation": ("Relation avec les agents", "Staff attitude"),
    "responsiveness": ("Délais et réactivité", "Waiting and responsiveness"),
    "simplicity": ("Simplicité des démarches", "Simplicity of procedures"),
    "digital": ("Services en ligne", "Online services"),
}
CHANNELS = {
    "web": ("Site web", "Website"),
    "counter": ("Guichet", "Counter"),
    "kiosk": ("Borne", "Kiosk"),
    "api": ("Applications partenaires", "Partner apps"),
}
FREQUENCY = {"weekly": ("hebdomadaire", "weekly"), "daily": ("quotidienne", "daily"), "monthly": ("mensuelle", "monthly")}
MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}

# key: (French, English)
WORDS = {
    "title": ("Synthèse {frequency} des avis", "Your {frequency} feedback digest"),
    "period": ("Du {start} au {end}", "From {start} to {end}"),
    "services": ("Services suivis", "Services covered"),
    "summary": ("L'essentiel", "At a glance"),
    "received": ("avis reçus", "feedback received"),
    "vs_previous": ("période précédente : {n}", "previous period: {n}"),
    "mean_rating": ("note moyenne sur 5", "mean rating out of 5"),
    "positive_share": ("d'avis positifs", "positive comments"),
    "urgent_open": ("urgents en attente", "urgent items waiting"),
    "empty": ("Aucun avis n'a été reçu pendant cette période. Les indicateurs ci-dessous couvrent les périodes précédentes et les dossiers encore ouverts.",
              "No feedback was received in this period. What follows covers earlier periods and items still open."),
    "emerging": ("Sujets en hausse", "Emerging issues"),
    "emerging_intro": ("En nette hausse par rapport aux huit périodes précédentes (test statistique, voir le guide).",
                       "Clearly up on the eight previous periods (a statistical test, see the guide)."),
    "no_emerging": ("Aucun sujet en hausse significative.", "No significant rise in any topic."),
    "group": ("Commentaires similaires", "Similar comments"),
    "rise": ("{current} cette période contre {expected} en moyenne (×{ratio})", "{current} this period against {expected} on average (×{ratio})"),
    "trend": ("Satisfaction sur huit périodes", "Satisfaction over eight periods"),
    "trend_alt": ("Graphique : barres = nombre d'avis, ligne bleue = note moyenne, ligne verte = part d'avis positifs. Note actuelle {rating}, part positive {positive}.",
                  "Chart: bars = number of comments, blue line = mean rating, green line = share of positive comments. Rating now {rating}, positive share {positive}."),
    "legend": ("Barres : nombre d'avis. Ligne bleue : note moyenne (1 à 5). Ligne verte : part d'avis positifs.",
               "Bars: number of comments. Blue line: mean rating (1 to 5). Green line: share of positive comments."),
    "period_col": ("Période", "Period"),
    "count_col": ("Avis", "Comments"),
    "rating_col": ("Note", "Rating"),
    "positive_col": ("Positifs", "Positive"),
    "channels": ("Volume par canal", "Volume by channel"),
    "channel_col": ("Canal", "Channel"),
    "this_col": ("Cette période", "This period"),
    "previous_col": ("Précédente", "Previous"),
    "change_col": ("Évolution", "Change"),
    "desk_vs_online": ("Guichet et en ligne", "Counter and online"),
    "desk_vs_online_intro": ("La satisfaction du même service selon le canal.", "The same service's satisfaction by channel."),
    "topics": ("Sujets abordés", "Topics"),
    "topic_col": ("Sujet", "Topic"),
    "sentiment_col": ("Négatif / neutre / positif", "Negative / neutral / positive"),
    "top_issues": ("Ce qui pèse le plus", "Top issues"),
    "quotes_note": ("Extraits d'avis, données personnelles masquées.", "Excerpts, personal data masked."),
    "urgent": ("Urgences et délais de réponse", "Urgent items and answer times"),
    "urgent_none": ("Aucun avis urgent en attente.", "No urgent item waiting."),
    "urgent_waiting": ("{n} avis urgents attendent une réponse ; les plus anciens :", "{n} urgent items are waiting for an answer; oldest first:"),
    "answered": ("{n} réponses publiées, délai médian {hours}", "{n} answers published, median time {hours}"),
    "answered_none": ("Aucune réponse publiée pendant la période.", "No answer published in the period."),
    "previous_median": ("(période précédente : {hours})", "(previous period: {hours})"),
    "per_service": ("Par service", "By service"),
    "open_portal": ("Voir dans le portail", "Open in the portal"),
    "view_archive": ("Voir cette synthèse dans le portail", "View this digest in the portal"),
    "archive_valid": ("lien valable {days} jours", "link valid for {days} days"),
    "why": ("Vous recevez cette synthèse car vous êtes abonné(e) aux avis de ces services sur Guichet.",
            "You receive this digest because you subscribed to feedback on these services on Guichet."),
    "unsubscribe": ("Se désabonner", "Unsubscribe"),
    "none": ("–", "–"),
    "hours": ("{n} h", "{n} h"),
    "days": ("{n} j", "{n} d"),
    "subject": ("Guichet – synthèse {frequency} du {start} au {end}", "Guichet – {frequency} digest, {start} to {end}"),
    "subject_alert": (" – {n} sujet(s) en hausse", " – {n} emerging issue(s)"),
}


class Words:
    """`w.key` or `w("key", **values)` in the chosen language."""

    def __init__(self, language: str):
        self.language = "en" if language == "en" else "fr"
        self.index = 1 if self.language == "en" else 0

    def __call__(self, key: str, **values) -> str:
        return WORDS[key][self.index].format(**values)

    def __getattr__(self, key: str) -> str:
        if key in WORDS:
            return WORDS[key][self.index]
        raise AttributeError(key)

    def topic(self, code: str) -> str:
        return TOPICS.get(code, (code, code))[self.index]

    def channel(self, code: str) -> str:
        return CHANNELS.get(code, (code, code))[self.index]

    def frequency(self, code: str) -> str:
        return FREQUENCY.get(code, (code, code))[self.index]

    def date(self, day: dt.date) -> str:
        month = MONTHS[self.language][day.month - 1]
        return f"{day.day} {month} {day.year}" if self.language == "fr" else f"{day.day} {month} {day.year}"

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self.none
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.language == "fr" else text

    def percent(self, share: float | None) -> str:
        if share is None:
            return self.none
        return f"{round(share * 100)} %" if self.language == "fr" else f"{round(share * 100)}%"

    def change(self, current: int, previous: int) -> str:
        if not previous:
            return "+" + str(current) if current else "="
        delta = (current - previous) / previous
        sign = "+" if delta > 0 else ("−" if delta < 0 else "")
        return "=" if not delta else f"{sign}{abs(round(delta * 100))} %".replace(" %", "%" if self.language == "en" else " %")

    def duration(self, hours: float | None) -> str:
        if hours is None:
            return self.none
        return self("days", n=self.number(hours / 24)) if hours >= 48 else self("hours", n=self.number(hours))

# Pages of the portal about digests (unsubscribe, archive).
PAGE_WORDS = {
    "unsubscribe_title": ("Se désabonner des synthèses", "Unsubscribe from digests"),
    "unsubscribe_ask": ("Vous ne recevrez plus la synthèse envoyée à {email}.", "You will no longer receive the digest sent to {email}."),
    "unsubscribe_button": ("Confirmer le désabonnement", "Confirm unsubscribe"),
    "unsubscribed": ("C'est fait : vous ne recevrez plus cette synthèse.", "Done: you will no longer receive this digest."),
    "invalid_link": ("Ce lien de désabonnement n'est pas valide, ou l'abonnement n'existe plus. Utilisez le lien d'une synthèse récente, ou écrivez à l'administrateur du portail.",
                     "This unsubscribe link is not valid, or the subscription no longer exists. Use the link in a recent digest, or write to the portal's administrator."),
    "already": ("Cet abonnement était déjà arrêté.", "This subscription was already stopped."),
    "archive_title": ("Synthèse envoyée", "Sent digest"),
    "recipient": ("Destinataire", "Recipient"),
    "state": ("État", "State"),
    "sent_at": ("Envoyée le", "Sent on"),
    "attempts": ("Tentatives", "Attempts"),
    "last_error": ("Dernière erreur", "Last error"),
    "text_version": ("Version texte", "Text version"),
    "link_expired_title": ("Lien expiré", "Link expired"),
    "link_expired": ("Ce lien vers une synthèse envoyée a expiré : les liens des e-mails restent valables {days} jours après l'envoi.",
                     "This link to a sent digest has expired: links in e-mails work for {days} days after sending."),
    "link_expired_how": ("Pour revoir cette synthèse, connectez-vous à l'espace agents avec le compte de l'adresse à laquelle elle a été envoyée, "
                         "ou demandez-la à un administrateur.",
                         "To see this digest again, sign in to the staff workspace with the account of the address it was sent to, "
                         "or ask an administrator for it."),
    "link_expired_sign_in": ("Se connecter à l'espace agents", "Sign in to the staff workspace"),
    "link_expired_unsubscribe": ("Le lien de désabonnement de l'e-mail, lui, fonctionne toujours.",
                                 "The unsubscribe link in the e-mail still works."),
    "states": ({"sent": "envoyée", "claimed": "en cours", "failed": "échec"}, {"sent": "sent", "claimed": "in progress", "failed": "failed"}),
}
WORDS.update({k: v for k, v in PAGE_WORDS.items() if k != "states"})


def state_name(language: str, state: str) -> str:
    return PAGE_WORDS["states"][1 if language == "en" else 0].get(state, state)
