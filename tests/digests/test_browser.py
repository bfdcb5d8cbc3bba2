"""The unsubscribe and expired-link pages in Chromium: keyboard use, 320 px, and zero axe-core violations, FR and EN."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import axe_playwright_python
import pytest

from portal.digests.render import ARCHIVE_LINK_DAYS
from portal.web.signing import sign
from tests.conftest import ROOT, server_env
from tests.factories import create_service

pytestmark = pytest.mark.browser

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    # The CSP forbids injected <script> tags; evaluating the source through the driver is allowed.
    page.evaluate(AXE_SCRIPT)
    return page.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{what}: " + json.dumps([(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations])


def subscribe_through_the_cli(settings) -> int:
    done = subprocess.run([sys.executable, "-m", "portal", "digests", "subscribe", "--owner", "lecteur@example.fr"],
                          env=server_env(settings), cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout.split()[1].rstrip(":"))


def test_unsubscribe_by_keyboard_at_320px_without_axe_violations(live_server, base_settings, store, page):
    # A new code each time: the live server caches services by code for a few seconds.
    store.service(code=f"lecture-{uuid.uuid4().hex[:8]}", owner_emails="lecteur@example.fr")
    subscription = subscribe_through_the_cli(base_settings)
    check_unsubscribe_pages(live_server, base_settings, page, subscription)


def check_unsubscribe_pages(live_server, base_settings, page, subscription: int) -> None:
    url = f"{live_server.url}/digests/unsubscribe/{subscription}/{sign(base_settings.secret_key, 'unsubscribe', subscription)}"
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(url + "?lang=en")
    assert "lecteur@example.fr" in page.inner_text("main")
    assert_accessible(page, "unsubscribe page (en)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.goto(url + "?lang=fr")
    assert_accessible(page, "unsubscribe page (fr)")
    page.focus("main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    assert "vous ne recevrez plus" in page.inner_text("main")
    assert_accessible(page, "unsubscribed page")
    page.goto(url[:-4] + "0000")
    assert "pas valide" in page.inner_text("main")
    assert_accessible(page, "invalid link page")


def test_expired_archive_link_page_at_320px_without_axe_violations(live_server, base_settings, store, page):
    from portal.store.digests.tables import DigestRun

    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=ARCHIVE_LINK_DAYS + 1)

    async def old_run() -> int:
        service = await create_service(f"lecture-{uuid.uuid4().hex[:8]}", owner_emails="lecteur@example.fr")
        rows = await DigestRun.insert(DigestRun(
            recipient="lecteur@example.fr", period_start=long_ago - dt.timedelta(days=7), period_end=long_ago,
            state="sent", claimed_at=long_ago, sent_at=long_ago, claim_token="", attempts=1, last_error="",
            message_id="<old@guichet>", subject=f"Synthèse {service['code']}", html="<p>old</p>", text="old",
        )).returning(DigestRun.id)
        return rows[0]["id"]

    run_id = store.run(old_run)
    url = f"{live_server.url}/digests/{run_id}?sig={sign(base_settings.secret_key, 'archive', run_id)}"
    page.set_viewport_size({"width": 320, "height": 640})
    for lang, words in (("fr", "a expiré"), ("en", "has expired")):
        response = page.goto(f"{url}&lang={lang}")
        assert response.status == 410 and words in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(page, f"expired link page ({lang})")
    page.focus("main a.button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/staff/login*")
    assert page.url.endswith(f"/staff/login?next=%2Fdigests%2F{run_id}")


def test_the_digest_guide_at_320px_and_1280px_without_axe_violations(live_server, page):
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        for lang, words in (("fr", "Sujets en hausse : le test statistique"), ("en", "Rising topics: the statistical test")):
            response = page.goto(f"{live_server.url}/digests/guide?lang={lang}#rise")
            assert response.status == 200 and words in page.inner_text("main")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert_accessible(page, f"digest guide ({lang}, {width} px)")
