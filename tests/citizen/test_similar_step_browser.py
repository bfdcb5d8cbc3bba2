"""The form's "others said something similar" step in Chromium without JavaScript: FR/EN, 320 px, axe-core clean."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.store.core.tables import Feedback
from portal.store.publications import publish_feedback
from portal.store.workspace.tables import MeTooVote, Publication
from tests.citizen.test_accessibility import assert_no_violations
from tests.factories import create_feedback

pytestmark = pytest.mark.browser

PUBLISHED = "Deux heures d'attente au guichet pour un acte de naissance, et personne ne répond au téléphone."
MINE = "Encore deux heures d'attente au guichet pour obtenir mon acte de naissance."


def _publish(store, service: dict) -> int:
    async def work() -> int:
        item = await create_feedback(service, text=PUBLISHED)
        await publish_feedback(item.feedback_id, PUBLISHED, "Un second guichet ouvre le 1er mars.", None,
                               dt.datetime.now(dt.timezone.utc))
        return (await Publication.select(Publication.id).where(Publication.feedback == item.feedback_id).first())["id"]

    return store.run(work)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_similar_step_without_javascript(new_context, live_server, store, town_hall, lang):
    pub = _publish(store, town_hall)
    page = new_context(java_script_enabled=False, viewport={"width": 320, "height": 640},
                       locale="fr-FR" if lang == "fr" else "en-GB")
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    page.check("#rating-2")
    page.fill("#text", MINE)
    page.click("form.feedback-form button[type=submit]")
    # First submit: the similar published item, nothing stored yet, the text kept.
    page.wait_for_selector("#similar")
    title = "D'autres ont dit quelque chose de semblable" if lang == "fr" else "Others said something similar"
    assert page.inner_text("#similar-title") == title
    assert page.input_value("#text") == MINE and page.is_checked("#rating-2")
    assert store.run(Feedback.count) == 1
    assert page.get_attribute("html", "lang") == lang
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_no_violations(page, f"similar step at 320px ({lang})")
    # "Me too" on the published item: counted, and the form comes back with the text.
    page.click(f"#pub-{pub} button[type=submit]")
    page.wait_for_selector("#similar .flash")
    assert store.run(MeTooVote.count) == 1 and page.input_value("#text") == MINE
    assert_no_violations(page, f"similar step after me too at 320px ({lang})")
    # And the person's own feedback as well.
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url("**/merci/**")
    assert store.run(Feedback.count) == 2
