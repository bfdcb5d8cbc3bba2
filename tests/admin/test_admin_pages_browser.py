"""Every administration page in Chromium: axe-core in French and English at 320 and 1280 px, error
states included, and an administrator who sets up a service and an office with the keyboard only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import axe_playwright_python
import pytest

from portal.store.devices import create_device
from portal.store.subscriptions import add_subscription
from portal.store.topics import add_topic
from tests.factories import create_office, create_service
from tests.review.staff import PASSWORD, create_staff

pytestmark = pytest.mark.browser

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
WIDTHS = (320, 1280)


def assert_accessible(page, what: str, lang: str, width: int) -> None:
    page.evaluate(AXE_SCRIPT)  # evaluated through the driver: the CSP forbids injected scripts
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    where = f"{what} ({lang}, {width} px)"
    assert not violations, f"{where}: " + json.dumps([(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations])
    assert page.evaluate("document.documentElement.lang") == lang, where
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{where} scrolls sideways"


@pytest.fixture
def portal_set_up(store):
    """An administrator, and one of each thing the administration pages list."""

    async def work():
        admin = await create_staff("admin", email="ada.admin@mairie.example", name="Ada Admin")
        service = await create_service(code="etat-civil", name_fr="État civil", name_en="Civil registry",
                                       owner_emails="chef@mairie.example")
        office = await create_office(name="Mairie Nord", services=[service])
        device = await create_device(office["id"], "Borne de l’entrée", "kiosk", {}, 60, 800)
        now = dt.datetime.now(dt.timezone.utc)
        topic = await add_topic(name="stationnement", label_fr="Stationnement", label_en="Parking",
                                description="places de parking, se garer devant la mairie", examples="", now=now)
        subscription = await add_subscription(owner_email="chef@mairie.example", services=["etat-civil"], frequency="weekly",
                                              weekday=0, send_time="08:00", time_zone="Europe/Paris", language="fr", now=now)
        agent = await create_staff("agent", services=[service], name="Agnès Agent")
        return {"admin": admin, "service": service, "office": office, "device": device, "topic": topic,
                "subscription": subscription, "agent": agent}

    return store.run(work)


def sign_in(page, base: str, email: str, lang: str) -> None:
    page.goto(f"{base}/staff/login?lang={lang}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff")


def test_every_administration_page_passes_axe_in_both_languages_at_both_widths(browser, live_server, portal_set_up):
    s = portal_set_up
    pages = {
        "administration home": "/staff/admin",
        "services": "/staff/admin/services",
        "new service": "/staff/admin/services/new",
        "a service": f"/staff/admin/services/{s['service']['id']}",
        "offices": "/staff/admin/offices",
        "new office": "/staff/admin/offices/new",
        "an office": f"/staff/admin/offices/{s['office']['id']}",
        "new device": f"/staff/admin/offices/{s['office']['id']}/devices/new",
        "a device": f"/staff/admin/devices/{s['device']}",
        "staff": "/staff/admin/staff",
        "invitation form": "/staff/admin/staff/invite",
        "an account": f"/staff/admin/staff/{s['agent']['id']}",
        "topics": "/staff/admin/topics",
        "a topic": f"/staff/admin/topics/{s['topic']['id']}",
        "subscriptions": "/staff/admin/subscriptions",
        "new subscription": "/staff/admin/subscriptions/new",
        "a subscription": f"/staff/admin/subscriptions/{s['subscription']['id']}",
        "answer templates": "/staff/admin/templates",
        "personal data": "/staff/admin/privacy",
    }
    # Forms sent empty: each answers with its error summary, which must be as accessible as the form.
    empty_forms = {
        "new service": "/staff/admin/services/new",
        "new office": "/staff/admin/offices/new",
        "invitation form": "/staff/admin/staff/invite",
        "topics (new topic)": "/staff/admin/topics",
        "new subscription": "/staff/admin/subscriptions/new",
        "personal data (find)": "/staff/admin/privacy",
    }
    base = live_server.url
    for lang, locale in (("fr", "fr-FR"), ("en", "en-GB")):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            sign_in(page, base, s["admin"]["email"], lang)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                for what, path in pages.items():
                    response = page.goto(base + path)
                    assert response.status == 200, f"{what}: {response.status}"
                    assert_accessible(page, what, lang, width)
                for what, path in empty_forms.items():
                    page.goto(base + path)
                    form = page.locator("main form.narrow-form, main form[novalidate]").first
                    for field in form.locator("input[type=text], input[type=email], textarea").all():
                        field.fill("")
                    form.locator("button[type=submit]").first.click()
                    page.wait_for_selector("#error-summary")
                    assert_accessible(page, f"{what} with errors", lang, width)
        finally:
            context.close()


def focus_by_tab(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus, and check the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            shadow = page.evaluate("() => getComputedStyle(document.activeElement).boxShadow")
            assert outline != "none" or shadow != "none", f"{selector} has the focus but shows no focus indicator"
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_an_administrator_sets_up_a_service_and_an_office_with_the_keyboard_only(browser, live_server, portal_set_up):
    base = live_server.url
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, portal_set_up["admin"]["email"], "fr")
        page.goto(f"{base}/staff/admin/services")
        focus_by_tab(page, "a[href='/staff/admin/services/new']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/staff/admin/services/new")
        focus_by_tab(page, "#code")
        page.keyboard.type("passeports")
        focus_by_tab(page, "#name_fr")
        page.keyboard.type("Passeports")
        page.keyboard.press("Enter")  # sent without the English name
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"  # announced, and where Tab starts
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#name_en"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "name_en"
        page.keyboard.type("Passports")
        focus_by_tab(page, "main button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Le service a été créé.")

        page.goto(f"{base}/staff/admin/offices/new")
        focus_by_tab(page, "#code")
        page.keyboard.type("mairie-sud")
        focus_by_tab(page, "#name")
        page.keyboard.type("Mairie Sud")
        focus_by_tab(page, "input[type=checkbox][value='passeports']")
        page.keyboard.press("Space")
        assert page.is_checked("input[type=checkbox][value='passeports']")
        focus_by_tab(page, "main button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Le lieu a été créé.")
        assert "Mairie Sud" in page.inner_text("main") and "Passeports" in page.inner_text("main")
    finally:
        context.close()
