"""What each open-data file holds: its title, description and columns (Table Schema fields), in both languages."""

from __future__ import annotations

from portal.store.commitments import COMMITMENT_STATUSES
from portal.store.core.tables import CHANNELS, SENTIMENTS
from portal.store.status import STATUSES
from portal.web.i18n import N_, translate

# (name, Table Schema type, description msgid, constraints)
_FEEDBACK = [
    ("id", "integer", N_("Numéro de la publication (jamais la référence de suivi)"), {"required": True, "unique": True}),
    ("service", "string", N_("Code du service"), {"required": True}),
    ("channel", "string", N_("Canal : web, counter (guichet), kiosk (borne) ou api (applications partenaires)"), {"enum": list(CHANNELS)}),
    ("day", "date", N_("Jour de réception (heure du portail)"), {"required": True}),
    ("rating", "integer", N_("Note de 1 à 5, vide sans note"), {"minimum": 1, "maximum": 5}),
    ("sentiment", "string", N_("Sentiment retenu (celui de l’équipe, sinon celui du modèle)"), {"enum": [*SENTIMENTS, ""]}),
    ("topics", "string", N_("Thèmes retenus, séparés par des points-virgules"), {}),
    ("urgent", "boolean", N_("Avis jugé urgent"), {}),
    ("status", "string", N_("Statut : received, in_review, answered ou closed"), {"enum": list(STATUSES)}),
    ("text", "string", N_("Texte publié, données personnelles masquées"), {"required": True}),
    ("answer", "string", N_("Réponse publique du service, données personnelles masquées"), {}),
    ("published_on", "date", N_("Jour de la publication"), {}),
]

FILES: dict[str, dict] = {
    "feedback.csv": {
        "title": N_("Avis publiés et réponses"),
        "description": N_("Les avis que les services ont choisi de publier, avec leur réponse. Rien d’autre : ni référence de suivi, ni adresse e-mail, ni borne, ni lieu d’accueil."),
        "fields": _FEEDBACK, "key": ["id"],
    },
    "feedback.json": {
        "title": N_("Avis publiés et réponses (JSON)"),
        "description": N_("Les mêmes avis que feedback.csv, en JSON : une liste d’objets aux mêmes colonnes."),
        "fields": _FEEDBACK, "key": ["id"],
    },
    "satisfaction.csv": {
        "title": N_("Satisfaction par service, canal et semaine"),
        "description": N_("Nombre de notes et note moyenne, par semaine complète (du lundi au dimanche), pour chaque canal et tous canaux confondus (all). Les petits nombres sont protégés comme sur les pages de résultats."),
        "fields": [
            ("service", "string", N_("Code du service"), {"required": True}),
            ("week", "date", N_("Lundi de la semaine"), {"required": True}),
            ("channel", "string", N_("Canal, ou all pour tous les canaux"), {"enum": [*CHANNELS, "all"]}),
            ("answers", "integer", N_("Nombre de notes ; vide quand il est protégé"), {"minimum": 0}),
            ("answers_note", "string", N_("Pourquoi le nombre est vide : fewer_than_N (moins de N) ou masked (il permettrait d’en retrouver un petit)"), {}),
            ("mean_rating", "number", N_("Note moyenne sur 5 ; vide quand le nombre est protégé"), {"minimum": 1, "maximum": 5}),
        ],
        "key": ["service", "week", "channel"],
    },
    "commitments.csv": {
        "title": N_("Engagements des services (« vous avez dit, nous avons fait »)"),
        "description": N_("Ce que les usagers ont signalé, ce que le service s’engage à faire, pour quand, et où il en est."),
        "fields": [
            ("id", "integer", N_("Numéro de l’engagement"), {"required": True, "unique": True}),
            ("service", "string", N_("Code du service"), {"required": True}),
            ("raised", "string", N_("Ce que les usagers ont signalé"), {}),
            ("action", "string", N_("Ce que le service va faire"), {}),
            ("similar_reports", "string", N_("Titre du groupe d’avis semblables à l’origine"), {}),
            ("topic", "string", N_("Thème à l’origine"), {}),
            ("due_on", "date", N_("Échéance"), {"required": True}),
            ("status", "string", N_("Statut : planned, in_progress, done ou dropped"), {"enum": list(COMMITMENT_STATUSES)}),
            ("late", "boolean", N_("Échéance passée sans nouvelle"), {}),
            ("reason", "string", N_("Pourquoi il est abandonné"), {}),
            ("last_update_on", "date", N_("Jour de la dernière nouvelle"), {}),
            ("last_update", "string", N_("Dernière nouvelle"), {}),
        ],
        "key": ["id"],
    },
}
FORMAT = {name: name.rsplit(".", 1)[1] for name in FILES}


def fields_of(spec: dict, lang: str = "en") -> list[dict]:
    """The file's Table Schema fields, described in `lang`."""
    fields = []
    for name, kind, description, constraints in spec["fields"]:
        field = {"name": name, "type": kind, "description": translate(lang, description)}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return fields
