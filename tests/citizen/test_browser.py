"""Citizen pages in a real Chromium: keyboard only, without JavaScript, at 320px, errors, English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.feedback.tracking import confirmation_path, private_path

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"GCH-[2-9A-Z]{4}-[2-9A-Z]{4}")


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching selector has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"{selector} never received focus after {limit} presses of Tab")


def test_full_submission_with_the_keyboard_only(page, live_server, town_hall, store):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert focused(page, ".skip-link"), "the first Tab stop is the skip link"
    expect(page.locator(".skip-link")).to_be_visible()
    page.keyboard.press("Enter")
    assert focused(page, "main#main")

    tab_to(page, f"a[href='/s/{town_hall['code']}']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Votre avis sur : Accueil de la mairie")

    tab_to(page, "input[name=rating]")
    assert focused(page, "#rating-5"), "the radio group is entered on its first choice"
    page.keyboard.press("ArrowDown")  # radio groups move with the arrow keys...
    page.keyboard.press("Space")  # ...and Space selects the focused choice
    assert page.is_checked("#rating-4")
    tab_to(page, "#text")
    page.keyboard.type("Accueil rapide, mais le guichet 3 était fermé.")
    expect(page.locator("#text-count")).to_have_text(re.compile(r"Caractères restants : 395\d"))
    tab_to(page, "#contact_email")
    page.keyboard.type("camille@example.fr")
    tab_to(page, "#contact_consent")
    page.keyboard.press("Space")
    assert page.is_checked("#contact_consent")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/merci/GCH-"))
    expect(page.locator("h1")).to_have_text("Merci, votre avis est bien enregistré")
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference)
    assert store.count_feedback() == 1

    tab_to(page, f"a[href^='/track/{reference}/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/track/{reference}/*")
    expect(page.locator("h1")).to_have_text(f"Avis {reference}")
    expect(page.locator("[aria-current=step]")).to_contain_text("Reçu")
    expect(page.locator(".quote")).to_have_text("Accueil rapide, mais le guichet 3 était fermé.")
    expect(page.locator(".summary-list")).to_contain_text("4 sur 5")


def test_focus_is_always_visible(page, live_server, town_hall):
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    for selector in ("a[href='/track']", "#rating-5", "#text", "button[type=submit]"):
        tab_to(page, selector)
        # Radios are drawn by their label; everything else outlines itself.
        target = f"label[for='{selector[1:]}']" if selector.startswith("#rating") else selector
        outline = page.eval_on_selector(target, "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
        assert outline.startswith("solid") and not outline.endswith(" 0px"), f"{selector}: {outline}"


def test_the_form_works_without_javascript(new_context, live_server, town_hall, store):
    page = new_context(java_script_enabled=False, locale="fr-FR")
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    # The counter is a script enhancement; without it the limit is still stated.
    expect(page.locator("#text-count")).to_have_text("4000 caractères au maximum.")
    page.fill("#text", "x" * 4001)
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("4000")
    assert page.input_value("#text") == "x" * 4001
    page.fill("#text", "Formulaire envoyé sans JavaScript.")
    page.check("#rating-2")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/merci/GCH-"))
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference)
    expect(page.locator("#print-page")).to_be_hidden()
    page.click(f"a[href^='/track/{reference}/']")
    expect(page.locator(".quote")).to_have_text("Formulaire envoyé sans JavaScript.")
    assert store.count_feedback() == 1


def test_errors_show_a_summary_that_leads_to_each_field_and_keep_the_text(page, live_server, town_hall, store):
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    long_text = "Le site <b>plante</b> à chaque fois. " + "x" * 4000
    page.fill("#text", long_text)
    page.fill("#contact_email", "jean@")
    page.click("button[type=submit]")

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    assert focused(page, "#error-summary"), "focus moves to the summary so it is read first"
    expect(page).to_have_title(re.compile("^Erreur : "))
    links = summary.locator("a")
    expect(links).to_have_count(2)
    assert page.input_value("#text") == long_text
    assert page.input_value("#contact_email") == "jean@"
    expect(page.locator("#text-count")).to_have_text(re.compile(r"Caractères en trop : \d+"))

    links.nth(1).click()
    assert focused(page, "#contact_email")
    links.nth(0).focus()
    page.keyboard.press("Enter")
    assert focused(page, "#text")
    assert store.count_feedback() == 0

    page.goto(live_server.url + "/track?reference=pas-une-reference")
    assert focused(page, "#error-summary")
    page.locator("#error-summary a").click()
    assert focused(page, "#reference") and page.input_value("#reference") == "pas-une-reference"


@pytest.mark.parametrize("width", [320, 640])
def test_no_horizontal_scrolling_at_320px_and_at_200_percent_zoom(new_context, live_server, town_hall, store, width):
    # 640px is what a 1280px screen shows at 200% zoom.
    reference = store.feedback(town_hall, text="Un mot très long: " + "a" * 120, rating=3)
    store.answer(reference, "Merci, " + "b" * 120)
    page = new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    secret = store.settings.secret_key
    paths = ["/", "/?q=mairie", f"/s/{town_hall['code']}", "/track", "/track?reference=x", f"/track/{reference}",
             private_path(secret, reference), confirmation_path(secret, reference), "/nope"]
    for lang in ("fr", "en"):
        for path in paths:
            page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} ({lang}) scrolls sideways by {overflow}px at {width}px"
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    page.fill("#text", "y" * 4001)
    page.click("button[type=submit]")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_english_switch_is_visible_and_remembered(page, live_server, town_hall):
    page.goto(live_server.url + "/")
    assert page.get_attribute("html", "lang") == "fr"
    switch = page.locator("a[hreflang=en]")
    expect(switch).to_have_text("English")
    assert switch.get_attribute("lang") == "en"
    switch.click()
    assert page.get_attribute("html", "lang") == "en"
    expect(page.locator("h1")).to_have_text("Give feedback on a public service")
    page.click("text=Town hall reception")
    expect(page.locator("h1")).to_have_text("Your feedback on: Town hall reception")
    expect(page.locator("label[for=rating-5]")).to_have_text("Very satisfied")
    page.fill("#text", "Quick and friendly.")
    expect(page.locator("#text-count")).to_have_text(re.compile(r"Characters left: 398\d"))
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Thank you, your feedback has been received")
    page.click("a[hreflang=fr]")
    expect(page.locator("h1")).to_have_text("Merci, votre avis est bien enregistré")


def test_confirmation_page_prints_the_reference_without_navigation(page, live_server, town_hall, store):
    reference = store.feedback(town_hall, text="Très bien.", rating=5)
    page.goto(live_server.url + confirmation_path(store.settings.secret_key, reference))
    expect(page.locator("#print-page")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".reference")).to_have_text(reference)
    expect(page.locator(".header-nav")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator("#print-page")).to_be_hidden()
    # Links do not work on paper: the private tracking address is printed in full.
    expect(page.locator(".summary-list")).to_contain_text(live_server.url + private_path(store.settings.secret_key, reference))
