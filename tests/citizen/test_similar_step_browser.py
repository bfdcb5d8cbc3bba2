"""The form's "others said something similar" step in Chromium: it works without JavaScript (FR/EN), and
axe-core finds nothing on it at 320 px."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from portal.store.core.tables import Feedback
from portal.store.publications import publish_feedback
from portal.store.workspace.tables import MeTooVote, Publication
from tests.citizen.test_accessibility import assert_no_violations
from tests.factories import create_feedback

pytestmark = pytest.mark.browser

PUBLISHED = "Deux heures d'attente au guichet pour un acte de naissance, et personne ne répond au téléphone."
MINE = "Encore deux heures d'attente au guichet pour obtenir mon acte de naissance."
TITLES = {"fr": "D'autres ont dit quelque chose de semblable", "en": "Others said something similar"}


def _publish(store, service: dict) -> int:
    async def work() -> int:
        item = await create_feedback(service, text=PUBLISHED)
        await publish_feedback(item.feedback_id, PUBLISHED, "Un second guichet ouvre le 1er mars.", None,
                               dt.datetime.now(dt.timezone.utc))
        return (await Publication.select(Publication.id).where(Publication.feedback == item.feedback_id).first())["id"]

    return store.run(work)


def _walk(page: Page, store, form_url: str, pub: int, lang: str, check=lambda what: None) -> None:
    """Type, send once (the step), say "me too", then send one's own as well."""
    page.goto(form_url)
    page.check("#rating-2")
    page.fill("#text", MINE)
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_selector("#similar")
    # Nothing stored yet; the text and the rating kept.
    assert page.inner_text("#similar-title") == TITLES[lang]
    assert page.input_value("#text") == MINE and page.is_checked("#rating-2")
    assert store.run(Feedback.count) == 1 and page.get_attribute("html", "lang") == lang
    check("similar step")
    page.click(f"#pub-{pub} button[type=submit]")
    page.wait_for_selector("#similar .flash")
    assert store.run(MeTooVote.count) == 1 and page.input_value("#text") == MINE
    check("similar step after me too")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url("**/merci/**")
    assert store.run(Feedback.count) == 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_similar_step_without_javascript(new_context, live_server, store, town_hall, lang):
    pub = _publish(store, town_hall)
    page = new_context(java_script_enabled=False, locale="fr-FR" if lang == "fr" else "en-GB")
    _walk(page, store, f"{live_server.url}/s/{town_hall['code']}", pub, lang)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_similar_step_at_320px_has_no_axe_violations(new_context, live_server, store, town_hall, lang):
    pub = _publish(store, town_hall)
    # axe-core runs as a script: this context allows it (the page's own script only counts characters).
    page = new_context(viewport={"width": 320, "height": 640}, locale="fr-FR" if lang == "fr" else "en-GB")

    def check(what: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{what} scrolls sideways at 320px"
        assert_no_violations(page, f"{what} at 320px ({lang})")

    _walk(page, store, f"{live_server.url}/s/{town_hall['code']}", pub, lang, check)
