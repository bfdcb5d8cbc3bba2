"""The digest in its recipient's language: words from the catalogue, numbers and dates written the local way.

E-mails are rendered outside any web request, so nothing here reads the request's language: a
`Wording` is made for the digest's own language (the templates' `_` comes from the same catalogue,
see render.py).
"""

from __future__ import annotations

import datetime as dt

from portal.digests.periods import Period
from portal.web.i18n import N_, translations
from portal.web.labels import label

# Titles and subjects by frequency, whole sentences so that each language can word them its own way.
TITLES = {
    "weekly": N_("Synthèse hebdomadaire des avis"),
    "daily": N_("Synthèse quotidienne des avis"),
    "monthly": N_("Synthèse mensuelle des avis"),
}
SUBJECTS = {
    "weekly": N_("Guichet – synthèse hebdomadaire, %(period)s"),
    "daily": N_("Guichet – synthèse quotidienne, %(period)s"),
    "monthly": N_("Guichet – synthèse mensuelle, %(period)s"),
}
# A change is written as a percentage only when both counts reach this: "+600 %" on 1 and 7 says
# nothing a reader can trust, "7 contre 1" says it all.
PERCENT_FROM = 20
# The "to do" list's title by frequency.
TODO_TITLES = {
    "weekly": N_("À faire cette semaine"),
    "daily": N_("À faire aujourd'hui"),
    "monthly": N_("À faire ce mois-ci"),
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

    def ngettext(self, singular: str, plural: str, num: int, **values) -> str:
        """As the templates' `ngettext`: the form for `num`, which fills %(num)s, and the other placeholders."""
        return self.translations.ngettext(singular, plural, num) % {"num": num, **values}

    def title(self, frequency: str) -> str:
        return self.gettext(TITLES.get(frequency, TITLES["weekly"]))

    def todo_title(self, frequency: str) -> str:
        return self.gettext(TODO_TITLES.get(frequency, TODO_TITLES["weekly"]))

    def subject(self, period: Period) -> str:
        return self.gettext(SUBJECTS.get(period.frequency, SUBJECTS["weekly"]), period=self.period(period))

    def period(self, period: Period, year: bool = True) -> str:
        """The period in words: "semaine du 23 au 29 novembre 2026", "novembre 2026", "23 novembre 2026"."""
        first, last = period.local_start.date(), (period.local_end - dt.timedelta(days=1)).date()
        if period.frequency == "monthly":
            return f"{self._months[first.month - 1]} {first.year}" if year else self._months[first.month - 1]
        if period.frequency == "daily":
            return self.date(first) if year else self.day_month(first)
        if first.year != last.year:
            start, end = self.date(first), self.date(last)
        else:
            start = self.day(first) if first.month == last.month else self.day_month(first)
            end = self.date(last) if year else self.day_month(last)
        return self.gettext("semaine du %(start)s au %(end)s", start=start, end=end)

    def quoted(self, text: str) -> str:
        """Words quoted the language's way: « guillemets » in French, “quotes” in English."""
        return self.gettext("« %(text)s »", text=text)

    def capitalised(self, text: str) -> str:
        return text[:1].upper() + text[1:]

    def topic(self, code: str) -> str:
        return label("topic", code, self.language)

    def channel(self, code: str) -> str:
        return label("channel", code, self.language)

    def day(self, day: dt.date) -> str:
        """The day of the month, "1er" the French way."""
        return "1er" if day.day == 1 and self.language == "fr" else str(day.day)

    def day_month(self, day: dt.date) -> str:
        return f"{self.day(day)} {self._months[day.month - 1]}"

    def date(self, day: dt.date) -> str:
        return f"{self.day_month(day)} {day.year}"

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self.none
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.language == "fr" else text

    def percent(self, share: float | None) -> str:
        if share is None:
            return self.none
        return f"{round(share * 100)} %" if self.language == "fr" else f"{round(share * 100)}%"

    def in_percent(self, current: int, previous: int) -> bool:
        """Whether a change between these counts is written as a percentage (both at least PERCENT_FROM)."""
        return current != previous and min(current, previous) >= PERCENT_FROM

    def change(self, current: int, previous: int) -> str:
        """"+40 %" when both counts are large enough to say so (PERCENT_FROM), else "7 contre 1"; "=" when equal."""
        if current == previous:
            return "="
        if not self.in_percent(current, previous):
            return self.gettext("%(current)s contre %(previous)s", current=current, previous=previous)
        delta = (current - previous) / previous
        sign = "+" if delta > 0 else "−"
        return f"{sign}{abs(round(delta * 100))}" + ("%" if self.language == "en" else " %")

    def todo(self, entry) -> str:
        """An entry of the "to do" list (portal.digests.todo) as a sentence: one per kind."""
        if entry.kind == "urgent":
            return self.ngettext("Répondre à %(num)s avis urgent en attente", "Répondre aux %(num)s avis urgents en attente",
                                 entry.count)
        if entry.kind == "rising":
            title = self.topic(entry.topic) if entry.topic else self.quoted(entry.title)
            return self.ngettext("%(title)s : %(num)s personne en a parlé cette période, contre %(expected)s en moyenne",
                                 "%(title)s : %(num)s personnes en ont parlé cette période, contre %(expected)s en moyenne",
                                 entry.count, title=title, expected=self.number(entry.expected))
        raise ValueError(f"no words for a to-do entry of kind {entry.kind!r}")

    def satisfaction(self, line) -> str:
        """A channel's rating and the tone of its written comments, each with what it counts, so they never read as one figure.

        "Borne : note moyenne 3,0/5 sur 12 appuis · parmi les 3 commentaires écrits, 100 % positifs"
        """
        if line.rated and line.channel == "kiosk":
            rating = self.ngettext("note moyenne %(rating)s/5 sur %(num)s appui", "note moyenne %(rating)s/5 sur %(num)s appuis",
                                   line.rated, rating=self.number(line.mean_rating))
        elif line.rated:
            rating = self.ngettext("note moyenne %(rating)s/5 sur %(num)s avis noté", "note moyenne %(rating)s/5 sur %(num)s avis notés",
                                   line.rated, rating=self.number(line.mean_rating))
        else:
            rating = self.gettext("aucune note")
        if line.written:
            words = self.ngettext("parmi %(num)s commentaire écrit, %(share)s positif",
                                  "parmi les %(num)s commentaires écrits, %(share)s positifs",
                                  line.written, share=self.percent(line.written_positive_share))
        else:
            words = self.gettext("aucun commentaire écrit")
        return self.gettext("%(channel)s : %(rating)s · %(words)s", channel=self.channel(line.channel), rating=rating, words=words)

    def duration(self, hours: float | None) -> str:
        if hours is None:
            return self.none
        if hours >= 48:
            return self.gettext("%(n)s j", n=self.number(hours / 24))
        return self.gettext("%(n)s h", n=self.number(hours))
