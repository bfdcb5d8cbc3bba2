"""A clerk at the counter in a real Chromium: enter feedback, print its receipt, withdraw a mistaken entry; FR and EN, 320 and 1280 px."""

from __future__ import annotations

import uuid

import pytest

from portal.review.accounts import create_user
from tests.counters.conftest import run_in_store
from tests.factories import create_office, create_service

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
WIDTHS = (320, 1280)
WORDS = {
    "fr": {"way": "Sur une carte papier", "text": "Ce que la personne a dit ou écrit", "save": "Enregistrer et suivant",
           "receipt": "Imprimer un reçu", "withdraw": "Retirer", "reason": "Saisie en double", "confirm": "Retirer la saisie",
           "copy": "Copier la référence", "copied": "Référence copiée", "zone": "(heure de Paris)", "withdrawn": "Retirée le",
           "correct": "Enregistrer la correction", "changed": "Satisfaction : « Insatisfait » devient « Satisfait »"},
    "en": {"way": "On a paper card", "text": "What the person said or wrote", "save": "Save and next",
           "receipt": "Print a receipt", "withdraw": "Withdraw", "reason": "Entered twice", "confirm": "Withdraw the entry",
           "copy": "Copy the reference", "copied": "Reference copied", "zone": "(Paris time)", "withdrawn": "Withdrawn on",
           "correct": "Save the correction", "changed": "Satisfaction: “Dissatisfied” becomes “Satisfied”"},
}


def fits_and_is_accessible(page, axe) -> None:
    """At each width: no horizontal scrolling of the page, and no axe-core violation."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, width)
        assert axe(page) == [], (page.url, width)


def one_line(page, selector: str) -> bool:
    """The element's text takes a single line box."""
    return page.evaluate(
        "(s) => { const e = document.querySelector(s); const r = document.createRange(); r.selectNodeContents(e);"
        " return r.getClientRects().length === 1; }", selector)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_clerk_enters_feedback_prints_a_receipt_and_withdraws_a_mistake(live_server, browser, settings, axe, lang):
    suffix = uuid.uuid4().hex[:6]
    words = WORDS[lang]

    async def work():
        first = await create_service(code=f"etat-{suffix}", name_fr="État civil", name_en="Civil registry")
        second = await create_service(code=f"urba-{suffix}", name_fr="Urbanisme", name_en="Planning")
        office = await create_office(code=f"office-{suffix}", services=[first, second])
        await create_user(f"clerk-{suffix}@example.gouv.fr", "Camille", "clerk", PASSWORD, office_id=office["id"])

    run_in_store(settings, work)
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/staff/login?next=/counter&lang={lang}")
        page.locator("#email").fill(f"clerk-{suffix}@example.gouv.fr")
        page.locator("#password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/counter")
        fits_and_is_accessible(page, axe)

        # Two entries: the second one is the same card typed twice, by mistake.
        references = []
        for _ in range(2):
            page.locator("#service").select_option(f"etat-{suffix}")
            page.locator("#rating-2").check()
            page.get_by_label(words["way"]).check()
            page.get_by_label(words["text"]).fill("Attente trop longue au guichet")
            page.get_by_role("button", name=words["save"]).click()
            page.wait_for_selector("#saved-reference")
            references.append(page.locator("#saved-reference").inner_text())
        first, reference = references
        assert reference.startswith("GCH-")
        # The service is kept for the next card; the way is asked again.
        assert page.locator("#service").input_value() == f"etat-{suffix}"
        assert page.locator("input[name=given_as]:checked").count() == 0
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert one_line(page, "#saved-reference"), width
        # The day's entries with their time, in the portal's zone, named.
        assert page.locator("table.reflow tbody tr").count() == 2
        assert words["zone"] in page.locator("table.reflow tbody tr").first.inner_text()
        page.get_by_role("button", name=words["copy"]).click()
        page.wait_for_selector(f".copy-status:has-text('{words['copied']}')")
        assert page.evaluate("navigator.clipboard.readText()") == reference
        fits_and_is_accessible(page, axe)

        # The receipt: reference, tracking address and QR code; printed without the staff header.
        page.get_by_role("link", name=words["receipt"]).click()
        page.wait_for_selector(".receipt svg.qr")
        assert page.locator(".receipt .reference").inner_text() == reference
        assert "/track/" + reference + "/" in page.locator(".tracking-address").inner_text()
        fits_and_is_accessible(page, axe)
        page.emulate_media(media="print")
        assert page.locator(".site-header").is_hidden() and page.locator(".receipt").is_visible()
        assert one_line(page, ".receipt .reference")
        page.emulate_media(media="screen")

        # Withdraw the duplicate: a reason is required, then it is marked withdrawn in the list.
        page.goto(f"{live_server.url}/counter/entries/{reference}/withdraw")
        fits_and_is_accessible(page, axe)
        page.get_by_role("button", name=words["confirm"]).click()
        page.wait_for_selector(".error-summary")
        fits_and_is_accessible(page, axe)
        page.get_by_label(words["reason"]).check()
        page.get_by_role("button", name=words["confirm"]).click()
        page.wait_for_url(f"**/counter?withdrawn={reference}")
        withdrawn = page.locator("tr.withdrawn")
        assert withdrawn.count() == 1 and reference in withdrawn.inner_text() and words["withdrawn"] in withdrawn.inner_text()
        assert page.get_by_role("link", name=f"{words['withdraw']} {reference}").count() == 0
        fits_and_is_accessible(page, axe)

        # The first entry corrected: its version says what changed, in words.
        page.goto(f"{live_server.url}/counter/entries/{first}")
        page.locator("#rating-4").check()
        page.get_by_role("button", name=words["correct"]).click()
        page.wait_for_url("**/counter?corrected=*")
        page.goto(f"{live_server.url}/counter/entries/{first}")
        assert words["changed"] in page.locator(".versions").inner_text()
        fits_and_is_accessible(page, axe)
    finally:
        context.close()
