"""Times, days and numbers written the page's way: in the portal's time zone, the zone named, the local decimal separator."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from babel.numbers import format_decimal

from portal.web.i18n import N_, current_language, translate

# One way of writing a moment on every staff and counter page: "3 oct. 2026 à 16:02 (heure de Paris)".
WHEN = N_("%(date)s à %(time)s (%(zone)s)")
ZONE_NAMES = {"UTC": "UTC", "Etc/UTC": "UTC", "GMT": "UTC"}


def portal_zone(name: str) -> ZoneInfo:
    """The zone a PORTAL_TIME_ZONE names; a clear error for a name that is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (for example Europe/Paris)") from None


def local_midnight(day: dt.date, time_zone: str) -> dt.datetime:
    """The moment a day starts in the portal's zone (where day filters and dashboard weeks cut), in UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=portal_zone(time_zone)).astimezone(dt.timezone.utc)


def zone_label(zone: ZoneInfo, lang: str) -> str:
    """The zone in words: "heure de Paris", "Paris time"; UTC stays UTC."""
    if zone.key in ZONE_NAMES:
        return ZONE_NAMES[zone.key]
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    # French elides "de" before a vowel: "heure d’Amsterdam".
    if city[:1].lower() in "aeiouyéèêàâîôû":
        return translate(lang, N_("heure d’%(city)s"), {"city": city})
    return translate(lang, N_("heure de %(city)s"), {"city": city})


def _moment(value: dt.datetime | str) -> dt.datetime:
    # SQLite may hand back ISO text; a naive time is stored in UTC.
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def format_when(value: dt.datetime | str | None, zone: ZoneInfo, lang: str | None = None) -> str:
    """A moment in the portal's zone, the zone named; "–" for none."""
    if value in (None, ""):
        return "–"
    lang = lang or current_language.get()
    local = _moment(value).astimezone(zone)
    return translate(lang, WHEN, {
        "date": format_date(local.date(), "d MMM y", locale=lang),
        "time": local.strftime("%H:%M"),
        "zone": zone_label(zone, lang),
    })


def format_day(value: dt.date | dt.datetime | str | None, zone: ZoneInfo, lang: str | None = None) -> str:
    """A day ("3 oct. 2026"); a moment is first taken to the portal's zone."""
    if value in (None, ""):
        return "–"
    lang = lang or current_language.get()
    if isinstance(value, str):
        value = _moment(value) if "T" in value or " " in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = _moment(value).astimezone(zone).date()
    return format_date(value, "d MMM y", locale=lang)


def format_number(value: float | int | None, digits: int = 0, lang: str | None = None) -> str:
    """A number with the language's decimal separator and `digits` decimals; "–" for none."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=lang or current_language.get())


def in_language(french: str | None, english: str | None) -> str:
    """A name kept in both languages (a service's), in the page's: the English one when there is one."""
    return (english or french or "") if current_language.get() == "en" else (french or "")


def template_filters(zone: ZoneInfo) -> dict:
    """The filters every template may use: `{{ at | when }}`, `{{ day | day }}`, `{{ x | number(1) }}`."""
    return {
        "when": lambda value: format_when(value, zone),
        "day": lambda value: format_day(value, zone),
        "number": lambda value, digits=0: format_number(value, digits),
    }
