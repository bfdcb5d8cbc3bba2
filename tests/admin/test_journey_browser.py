"""A new administrator sets the portal up in Chromium, in English, with no command after the first account.

Service, office, a clerk invited by real e-mail who sets a password, a kiosk enrolled by opening the
QR code's address, and an owner subscribed to a digest (previewed first); axe-core on the new pages
at 320 px along the way.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import axe_playwright_python
import pytest

from tests.conftest import ROOT, server_env

pytestmark = pytest.mark.browser

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
ADMIN, PASSWORD = "first.admin@townhall.example", "first admin passphrase"


def assert_accessible(page, what: str) -> None:
    page.evaluate(AXE_SCRIPT)  # evaluated through the driver: the CSP forbids injected scripts
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    assert not violations, f"{what}: " + json.dumps([(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations])
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, f"{what} scrolls sideways at 320 px"


def test_a_new_administrator_sets_up_the_portal_from_the_browser(browser, mailing_server, base_settings, mail):
    handler, _url = mail
    # The first administrator is the one command: `portal create-user`.
    subprocess.run([sys.executable, "-m", "portal", "create-user", "--email", ADMIN, "--name", "Ada Admin", "--role", "admin",
                    "--password-stdin"], input=PASSWORD + "\n", env=server_env(base_settings), cwd=ROOT, check=True,
                   capture_output=True, text=True, timeout=60)
    base = mailing_server.url
    admin = browser.new_context(locale="en-GB", viewport={"width": 320, "height": 800})
    page = admin.new_page()
    try:
        page.goto(f"{base}/staff/login?lang=en")
        page.fill("#email", ADMIN)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.get_by_role("link", name="Administration").first.click()
        page.wait_for_url(f"{base}/staff/admin")
        assert_accessible(page, "administration landing page")

        # A service: first with a mistake, which keeps what was typed.
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Services").click()
        assert_accessible(page, "services, empty")
        page.get_by_role("link", name="Create a service").click()
        page.get_by_label("Code").fill("civil-registry")
        page.get_by_label("Name in French").fill("État civil")
        page.get_by_label("Owners' e-mail addresses").fill("owner@townhall.example")
        page.get_by_role("button", name="Create the service").click()
        page.wait_for_selector("#error-summary")
        assert page.get_by_label("Name in French").input_value() == "État civil"
        assert_accessible(page, "service form with an error")
        page.get_by_label("Name in English").fill("Civil registry")
        page.get_by_role("button", name="Create the service").click()
        page.wait_for_selector("text=The service has been created.")
        assert_accessible(page, "services list")

        # An office offering it.
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Offices").click()
        assert_accessible(page, "offices, empty")
        page.get_by_role("link", name="Create an office").click()
        page.get_by_label("Code").fill("town-hall-north")
        page.get_by_label("Name", exact=True).fill("Town hall North")
        page.get_by_label("Opening hours (optional)").fill("Monday to Friday, 9 am – 5 pm")
        page.get_by_label("Civil registry").check()
        assert_accessible(page, "office form")
        page.get_by_role("button", name="Create the office").click()
        page.wait_for_selector("text=The office has been created.")
        assert_accessible(page, "offices list")

        # A clerk, invited by e-mail, who chooses a password in their own browser.
        page.get_by_role("link", name="Invite a clerk").click()
        page.get_by_label("Work e-mail address").fill("clerk@townhall.example")
        page.get_by_label("Full name").fill("Chris Clerk")
        assert page.get_by_label("Clerk", exact=True).is_checked()
        assert_accessible(page, "invitation form")
        page.get_by_role("button", name="Send the invitation").click()
        page.wait_for_selector("text=The invitation is sent")
        [message] = handler.messages
        assert message["To"] == "clerk@townhall.example" and "choose your password" in message["Subject"]
        link = re.search(r"http://\S+/staff/invitation/[0-9a-f]{64}", message.get_content()).group(0)
        clerk = browser.new_context(locale="en-GB", viewport={"width": 320, "height": 800})
        try:
            clerk_page = clerk.new_page()
            clerk_page.goto(link)
            assert_accessible(clerk_page, "set-password page")
            clerk_page.get_by_label("Password", exact=True).fill("a long clerk passphrase")
            clerk_page.get_by_label("The same password again").fill("a long clerk passphrase")
            clerk_page.get_by_role("button", name="Save my password").click()
            clerk_page.wait_for_url(f"{base}/staff")
            assert "Chris Clerk" in clerk_page.inner_text("main")
        finally:
            clerk.close()

        # A kiosk: its enrolment code, shown large and as a QR code of the /kiosk address.
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Offices").click()
        assert "Chris Clerk" in page.inner_text("main")
        page.get_by_role("link", name="Add a kiosk or a button box").click()
        page.get_by_label("Device name (optional)").fill("Entrance kiosk")
        assert_accessible(page, "new device form")
        page.get_by_role("button", name="Create and get the enrolment code").click()
        code = page.inner_text(".enrolment-code")
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        assert page.locator(".qr-code svg[role=img]").count() == 1
        kiosk_url = page.locator(".qr-code figcaption a").get_attribute("href")
        assert kiosk_url == f"{base}/kiosk#code={code}"
        assert_accessible(page, "device page with its code")
        tablet = browser.new_context(locale="fr-FR")
        try:
            tablet_page = tablet.new_page()
            tablet_page.goto(kiosk_url)  # what scanning the QR code opens
            tablet_page.wait_for_selector("#screen-faces:not([hidden])")
            assert "#code" not in tablet_page.url
        finally:
            tablet.close()
        page.reload()  # the code is shown once
        assert page.locator(".enrolment-code").count() == 0 and "enrolled" in page.inner_text("main")

        # The owner's digest, previewed before it exists, then subscribed.
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="E-mail digests").click()
        assert_accessible(page, "subscriptions, empty")
        page.get_by_role("link", name="Subscribe an owner").click()
        page.get_by_label("Recipient's e-mail address").fill("owner@townhall.example")
        page.get_by_label("Language of the digest").select_option("en")
        assert_accessible(page, "subscription form")
        page.get_by_role("button", name="Preview this digest").click()
        page.wait_for_url(f"{base}/staff/admin/subscriptions/preview")
        page.wait_for_selector("text=Civil registry")
        page.go_back()
        page.get_by_label("Recipient's e-mail address").fill("owner@townhall.example")
        page.get_by_label("Language of the digest").select_option("en")
        page.get_by_role("button", name="Subscribe", exact=True).click()
        page.wait_for_selector("text=The digest is saved")
        assert "owner@townhall.example" in page.inner_text("main")
        assert_accessible(page, "subscriptions list")
    finally:
        admin.close()
