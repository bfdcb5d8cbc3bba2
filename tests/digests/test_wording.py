"""The digest's words: periods in words, plurals, counts instead of percentages on small numbers, rating and comments apart."""

from __future__ import annotations

import pytest

from portal.digests.content import ChannelLine
from portal.digests.periods import parse_period
from portal.digests.todo import TodoEntry
from portal.digests.wording import PERCENT_FROM, Wording
from tests.digests.conftest import running_app

FR, EN = Wording("fr"), Wording("en")


def test_periods_are_written_in_words():
    week = parse_period("weekly", "2026-W48")
    assert FR.period(week) == "semaine du 23 au 29 novembre 2026"
    assert EN.period(week) == "week of 23 to 29 November 2026"
    assert FR.period(week, year=False) == "semaine du 23 au 29 novembre"
    across = parse_period("weekly", "2026-W44")
    assert FR.period(across) == "semaine du 26 octobre au 1er novembre 2026"
    assert EN.period(across) == "week of 26 October to 1 November 2026"
    new_year = parse_period("weekly", "2026-W53")
    assert FR.period(new_year) == "semaine du 28 décembre 2026 au 3 janvier 2027"
    assert EN.period(new_year) == "week of 28 December 2026 to 3 January 2027"
    assert FR.period(parse_period("monthly", "2026-11")) == "novembre 2026"
    assert EN.period(parse_period("monthly", "2026-11")) == "November 2026"
    assert FR.period(parse_period("daily", "2026-12-01")) == "1er décembre 2026"
    assert EN.subject(week) == "Guichet – weekly digest, week of 23 to 29 November 2026"
    assert FR.subject(parse_period("monthly", "2026-11")) == "Guichet – synthèse mensuelle, novembre 2026"


def test_a_change_is_a_percentage_only_when_both_counts_are_large_enough():
    assert FR.change(7, 1) == "7 contre 1" and EN.change(7, 1) == "7 against 1"
    assert FR.change(PERCENT_FROM - 1, 40) == f"{PERCENT_FROM - 1} contre 40"
    assert FR.change(28, 20) == "+40 %" and EN.change(28, 20) == "+40%"
    assert FR.change(20, 40) == "−50 %"
    assert FR.change(3, 3) == "=" and FR.change(0, 0) == "="
    assert FR.change(5, 0) == "5 contre 0"


def test_kiosk_ratings_and_written_comments_are_told_apart():
    kiosk = ChannelLine("kiosk", 12, 9, 3.0, 0.6, rated=12, written=3, written_positive_share=1.0)
    assert FR.satisfaction(kiosk) == "Borne : note moyenne 3,0/5 sur 12 appuis · parmi les 3 commentaires écrits, 100 % positifs"
    assert EN.satisfaction(kiosk) == "Kiosk: mean rating 3.0/5 from 12 presses · of the 3 written comments, 100% positive"
    one = ChannelLine("web", 1, 0, 2.0, 0.0, rated=1, written=1, written_positive_share=0.0)
    assert FR.satisfaction(one) == "Site web : note moyenne 2,0/5 sur 1 avis noté · parmi 1 commentaire écrit, 0 % positif"
    assert EN.satisfaction(one) == "Website: mean rating 2.0/5 from 1 rated item · of 1 written comment, 0% positive"
    silent = ChannelLine("kiosk", 4, 0, 4.5, 1.0, rated=4, written=0)
    assert FR.satisfaction(silent).endswith("sur 4 appuis · aucun commentaire écrit")
    assert EN.satisfaction(ChannelLine("counter", 2, 0, None, None, written=2, written_positive_share=0.5)) == (
        "Counter: no rating · of the 2 written comments, 50% positive")


@pytest.mark.parametrize("count, french, english", [
    (1, "Répondre à 1 avis urgent en attente", "Answer 1 urgent item waiting"),
    (4, "Répondre aux 4 avis urgents en attente", "Answer the 4 urgent items waiting"),
])
def test_to_do_entries_take_the_plural_of_their_count(count, french, english):
    entry = TodoEntry("urgent", count, "https://guichet.example.fr/staff/inbox")
    assert FR.todo(entry) == french and EN.todo(entry) == english


def test_a_rising_topic_says_how_many_people_are_behind_it():
    entry = TodoEntry("rising", 1, "", topic="digital", expected=0.25)
    assert FR.todo(entry) == "Services en ligne : 1 personne en a parlé cette période, contre 0,2 en moyenne"
    entry = TodoEntry("rising", 9, "", title="le code SMS n'arrive pas", expected=1.5)
    assert FR.todo(entry) == "« le code SMS n'arrive pas » : 9 personnes en ont parlé cette période, contre 1,5 en moyenne"
    assert EN.todo(entry) == "“le code SMS n'arrive pas”: 9 people wrote about it this period, against 1.5 on average"
    with pytest.raises(ValueError):
        FR.todo(TodoEntry("overdue", 2, ""))  # a kind needs its words before it is listed


def test_plurals_of_the_subject():
    assert FR.ngettext(" – %(num)s sujet en hausse", " – %(num)s sujets en hausse", 1) == " – 1 sujet en hausse"
    assert EN.ngettext(" – %(num)s sujet en hausse", " – %(num)s sujets en hausse", 2) == " – 2 rising topics"


async def test_the_guide_explains_the_test_at_the_anchors_digests_link_to(db, make_app):
    async with running_app(make_app) as client:
        french = await client.get("/digests/guide")
        english = await client.get("/digests/guide?lang=en")
    assert french.status_code == english.status_code == 200
    for anchor in ("todo", "rise", "quotes", "satisfaction", "changes"):
        assert f'id="{anchor}"' in french.text and f'id="{anchor}"' in english.text
    assert "au moins 5 avis" in french.text and "moins d'une chance sur 100" in french.text.replace("&#39;", "'")
    assert "at least 5 items" in english.text and "+600%" in english.text and "7 against 1" in english.text
    assert 'lang="en"' in english.text and "Sujets en hausse" not in english.text
