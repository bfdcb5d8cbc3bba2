"""Signing in and out with the OpenID Connect provider in headless Chromium: keyboard only, axe on each page, the sign-out form's CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.review.accounts import create_user
from tests.citizen.store import Store
from tests.citizen.test_accessibility import assert_no_violations
from tests.conftest import LiveServer, free_port, server_env
from tests.review.oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider, stop_provider
from tests.review.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider():
    provider = start_provider()
    yield provider
    stop_provider(provider)


@pytest.fixture(scope="module")
def sso_server(base_settings, provider):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(server_env(
        base_settings, PORTAL_BASE_URL=url, PORTAL_OIDC_ISSUER=provider.issuer, PORTAL_OIDC_CLIENT_ID=CLIENT_ID,
        PORTAL_OIDC_CLIENT_SECRET=CLIENT_SECRET,
    ), port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def agent(base_settings, sso_server, provider):
    provider.reset(redirect_base=sso_server.url)
    helper = Store(base_settings)
    helper.empty()
    yield helper.run(lambda: create_user("agent.un@example.gouv.fr", "Agnès Dupont", "admin", PASSWORD))
    helper.empty()


def test_sign_in_and_out_with_the_provider_by_keyboard(browser, sso_server, provider, agent):
    base = sso_server.url
    page = browser.new_context(locale="fr-FR").new_page()
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{base}/staff/login")
        assert_no_violations(page, f"the sign-in page with the provider's button at {width} px")
    button = page.get_by_role("link", name="Se connecter avec ProConnect")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/staff")
    expect(page.locator("main")).to_contain_text("Agnès Dupont")
    page.goto(f"{base}/staff/logout")
    assert_no_violations(page, "the sign-out page of a provider session")
    page.get_by_role("button", name="Se déconnecter de ce navigateur").focus()
    page.keyboard.press("Enter")
    # The form leads to the provider's end-session endpoint (allowed by the page's form-action), then back here.
    page.wait_for_url(f"{base}/staff/login?state=*")
    assert [claims["sub"] for claims in provider.logouts] == ["agent-1"]


def test_a_refused_sign_in_is_a_clear_accessible_page(browser, sso_server, provider, agent):
    provider.sign_with_forger = True
    base = sso_server.url
    page = browser.new_context(locale="fr-FR").new_page()
    page.goto(f"{base}/staff/login")
    with page.expect_response(lambda r: "/staff/oidc/callback" in r.url) as answer:
        page.get_by_role("link", name="Se connecter avec ProConnect").click()
    assert answer.value.status == 400
    expect(page.locator("h1")).to_have_text("Connexion refusée")
    expect(page.locator("#error-summary")).to_contain_text("La signature de la réponse du service d’identité n’est pas valable.")
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert_no_violations(page, f"the refused sign-in page at {width} px")
