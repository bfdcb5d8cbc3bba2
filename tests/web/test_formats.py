"""Times in the portal's zone with the zone named (summer and winter time), numbers the page's way, codes in words."""

import datetime as dt

import pytest

from portal.settings import Settings
from portal.web.formats import format_day, format_number, format_when, portal_zone
from portal.review.audit import ACTIONS
from portal.web.labels import detail_items, label, topics_label, vocabulary

PARIS = portal_zone("Europe/Paris")
UTC = dt.timezone.utc


def test_a_summer_time_in_paris_is_two_hours_ahead_of_utc():
    moment = dt.datetime(2026, 10, 3, 14, 2, 31, 427691, tzinfo=UTC)
    assert format_when(moment, PARIS, "fr") == "3 oct. 2026 à 16:02 (heure de Paris)"
    assert format_when(moment, PARIS, "en") == "3 Oct 2026, 16:02 (Paris time)"


def test_a_winter_time_in_paris_is_one_hour_ahead_of_utc():
    moment = dt.datetime(2026, 12, 1, 14, 2, tzinfo=UTC)
    assert format_when(moment, PARIS, "fr") == "1 déc. 2026 à 15:02 (heure de Paris)"
    assert format_when(moment, PARIS, "en") == "1 Dec 2026, 15:02 (Paris time)"


def test_the_night_the_clocks_go_back():
    # 25 October 2026: 02:30 Paris time happens twice, first in summer time, then in winter time.
    assert format_when(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), PARIS, "en") == "25 Oct 2026, 02:30 (Paris time)"
    assert format_when(dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), PARIS, "en") == "25 Oct 2026, 02:30 (Paris time)"
    assert format_when(dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC), PARIS, "en") == "25 Oct 2026, 03:30 (Paris time)"


def test_text_from_sqlite_naive_times_other_zones_and_nothing():
    assert format_when("2026-10-03 14:02:31.427691+00:00", PARIS, "fr") == "3 oct. 2026 à 16:02 (heure de Paris)"
    assert format_when(dt.datetime(2026, 10, 3, 14, 2), PARIS, "en") == "3 Oct 2026, 16:02 (Paris time)"
    moment = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert format_when(moment, portal_zone("America/Toronto"), "fr") == "1 juil. 2026 à 08:00 (heure de Toronto)"
    assert format_when(moment, portal_zone("Europe/Amsterdam"), "fr") == "1 juil. 2026 à 14:00 (heure d’Amsterdam)"
    assert format_when(moment, portal_zone("UTC"), "en") == "1 Jul 2026, 12:00 (UTC)"
    assert format_when(None, PARIS, "fr") == "–"


def test_a_day_is_the_portals_day():
    # 23:30 UTC on 30 June is already 1 July in Paris.
    assert format_day(dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC), PARIS, "fr") == "1 juil. 2026"
    assert format_day("2026-11-30", PARIS, "en") == "30 Nov 2026"


def test_numbers_take_the_languages_decimal_separator():
    assert format_number(4.5, 2, "fr") == "4,50" and format_number(4.5, 2, "en") == "4.50"
    assert format_number(12345, 0, "en") == "12,345" and format_number(None, 1, "fr") == "–"


def test_an_unknown_time_zone_setting_is_refused_clearly():
    with pytest.raises(ValueError, match="PORTAL_TIME_ZONE"):
        Settings.from_env(environ={"PORTAL_TIME_ZONE": "Europe/Atlantis"})
    assert Settings.from_env(environ={}).time_zone == "Europe/Paris"


def test_codes_are_words_in_both_languages():
    assert label("channel", "counter", "fr") == "Guichet" and label("channel", "counter", "en") == "Counter"
    assert label("action", "view_original", "en") == "Original text read"
    assert label("status", "in_review", "fr") == "En cours d’examen" and label("sentiment", None, "en") == "not classified"
    assert label("role", "clerk", "en") == "front-desk clerk" and label("given_as", "paper", "fr") == "sur carte papier"
    assert topics_label("access,digital", "en") == "Access to the service, Online services" and topics_label("", "fr") == "–"
    # A code nobody named yet (an administrator's topic) still reads as words, not as a code.
    assert label("topic", "opening_hours", "fr") == "opening hours"


def test_audit_detail_reads_as_words():
    detail = {"from": "received", "to": "in_review", "bulk": True}
    assert detail_items(detail, "en") == [("Previous status", "Received"), ("New status", "In review"),
                                          ("Several items at once", "yes")]
    corrected = {"before": {"sentiment": "negative", "topics": ["access"], "urgent": False}}
    assert detail_items(corrected, "fr") == [("Avant", "Sentiment : Négatif ; Thèmes : Accès au service ; Urgent : non")]


def test_every_audit_action_has_words_in_both_languages():
    for lang in ("fr", "en"):
        words = vocabulary(lang)["action"]
        assert [a for a in ACTIONS if a not in words] == [], lang
    assert vocabulary("en")["action"]["invite_user"] == "Staff member invited"
