"""axe-core in Chromium: zero violations on every citizen page, in French and English, errors included."""

from __future__ import annotations

import json
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Page

from portal.feedback.tracking import link_key
from tests.conftest import LiveServer, free_port, server_env

pytestmark = pytest.mark.browser

# The axe-core build that ships inside the axe-playwright-python wheel (no download).
AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
# Every rule axe runs by default (WCAG 2.0–2.2 A/AA and best practices), violations only.
AXE_OPTIONS = {"resultTypes": ["violations"]}


def axe_violations(page: Page) -> list[dict]:
    # The CSP forbids injected <script> tags; evaluating the source through the driver is allowed.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS)


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node.get('failureSummary', '').replace(chr(10), ' / ')}")
            lines.append(f"       {node['html'][:160]}")
    return "\n".join(lines)


def assert_no_violations(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe found {len(violations)} violation(s) on {what} ({page.url}):\n{describe(violations)}"


@pytest.fixture
def answered(store, town_hall) -> str:
    reference = store.feedback(town_hall, text="Deux heures d'attente pour un acte de naissance.", rating=2)
    store.answer(reference, "Merci. Depuis le 1er mars, les actes de naissance se demandent aussi en ligne.")
    return reference


def open_form_with_errors(page: Page, form_url: str) -> None:
    page.goto(form_url)
    page.fill("#text", "Trop long. " + "x" * 4000)
    page.fill("#contact_email", "jean@")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary")


PAGES = {
    "home": "/",
    "search results": "/?q=mairie",
    "search without results": "/?q=zzzz",
    "feedback form": "/s/{code}",
    "form with errors": None,
    "confirmation": "/merci/{ref}/{key}",
    "tracking form": "/track",
    "tracking form error": "/track?reference=not-a-reference",
    "tracking page, status only, answered": "/track/{ref}",
    "private tracking page with a public answer": "/track/{ref}/{key}",
    "page not found": "/s/no-such-service",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_citizen_page_has_no_axe_violations(new_context, live_server, town_hall, answered, name, lang):
    page = new_context(locale="fr-FR" if lang == "fr" else "en-GB")
    if PAGES[name] is None:
        open_form_with_errors(page, f"{live_server.url}/s/{town_hall['code']}")
    else:
        key = link_key(live_server.env["PORTAL_SECRET_KEY"], answered)
        page.goto(live_server.url + PAGES[name].format(ref=answered, key=key, code=town_hall["code"]))
    assert page.get_attribute("html", "lang") == lang
    assert_no_violations(page, f"{name} ({lang})")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_form_at_320px_has_no_axe_violations(new_context, live_server, town_hall, lang):
    page = new_context(viewport={"width": 320, "height": 640}, locale="fr-FR" if lang == "fr" else "en-GB")
    form_url = f"{live_server.url}/s/{town_hall['code']}"
    page.goto(form_url)
    assert_no_violations(page, f"feedback form at 320px ({lang})")
    open_form_with_errors(page, form_url)
    assert_no_violations(page, f"form with errors at 320px ({lang})")


@pytest.fixture(scope="module")
def throttled_server(base_settings):
    """A server of its own that refuses lookups after one miss, to show its 429 page."""
    port = free_port()
    env = server_env(base_settings, PORTAL_BASE_URL=f"http://127.0.0.1:{port}")
    env["PORTAL_LOOKUP_MISS_LIMIT"] = "1/3600"
    server = LiveServer(env, port)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_too_many_lookups_page_has_no_axe_violations(new_context, throttled_server, lang):
    page = new_context(locale="fr-FR" if lang == "fr" else "en-GB")
    page.goto(f"{throttled_server.url}/track/GCH-2222-2222")  # unknown: the one miss allowed
    response = page.goto(f"{throttled_server.url}/track/GCH-2222-2222")
    assert response.status == 429 and int(response.headers["retry-after"]) > 0
    assert page.get_attribute("html", "lang") == lang
    assert_no_violations(page, f"too many lookups ({lang})")


def test_axe_does_report_a_broken_page(new_context, live_server, town_hall):
    # Guards against a silent axe: remove a label and the run must complain.
    page = new_context(locale="fr-FR")
    page.goto(f"{live_server.url}/s/{town_hall['code']}")
    page.evaluate("document.querySelector('label[for=contact_email]').remove()")
    assert "label" in {v["id"] for v in axe_violations(page)}
