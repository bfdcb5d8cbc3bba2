"""The digest in its recipient's language: words from the catalogue, numbers and dates written the local way.

E-mails are rendered outside any web request, so nothing here reads the request's language: a
`Wording` is made for the digest's own language (the templates' `_` comes from the same catalogue,
see render.py).
"""

from __future__ import annotations

import datetime as dt

from portal.web.i18n import N_, translations
from portal.web.labels import label

# Titles and subjects by frequency, whole sentences so that each language can word them its own way.
TITLES = {
    "weekly": N_("Synthèse hebdomadaire des avis"),
    "daily": N_("Synthèse quotidienne des avis"),
    "monthly": N_("Synthèse mensuelle des avis"),
}
SUBJECTS = {
    "weekly": N_("Guichet – synthèse hebdomadaire du %(start)s au %(end)s"),
    "daily": N_("Guichet – synthèse quotidienne du %(start)s au %(end)s"),
    "monthly": N_("Guichet – synthèse mensuelle du %(start)s au %(end)s"),
}


class Wording:
    """What the digest templates call `w`, in one language: the way it writes numbers, dates and codes' names."""

    none = "–"

    def __init__(self, language: str):
        self.language = "en" if language == "en" else "fr"
        self.translations = translations(self.language)
        t = self.translations
        self._months = (
            t.pgettext("month", "janvier"), t.pgettext("month", "février"), t.pgettext("month", "mars"),
            t.pgettext("month", "avril"), t.pgettext("month", "mai"), t.pgettext("month", "juin"),
            t.pgettext("month", "juillet"), t.pgettext("month", "août"), t.pgettext("month", "septembre"),
            t.pgettext("month", "octobre"), t.pgettext("month", "novembre"), t.pgettext("month", "décembre"),
        )

    def gettext(self, message: str, **values) -> str:
        """As the templates' `_`: the translation, its named placeholders filled (always, so `%%` is a percent sign)."""
        return self.translations.gettext(message) % values

    def title(self, frequency: str) -> str:
        return self.gettext(TITLES.get(frequency, TITLES["weekly"]))

    def subject(self, frequency: str, start: dt.date, end: dt.date) -> str:
        return self.gettext(SUBJECTS.get(frequency, SUBJECTS["weekly"]), start=self.date(start), end=self.date(end))

    def topic(self, code: str) -> str:
        return label("topic", code, self.language)

    def channel(self, code: str) -> str:
        return label("channel", code, self.language)

    def date(self, day: dt.date) -> str:
        return f"{day.day} {self._months[day.month - 1]} {day.year}"

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
        if hours >= 48:
            return self.gettext("%(n)s j", n=self.number(hours / 24))
        return self.gettext("%(n)s h", n=self.number(hours))
