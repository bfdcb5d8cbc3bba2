"""The kiosk in a real Chromium against a real server: offline presses, reloads, restarts, revocation."""

from __future__ import annotations

import pytest

from tests.counters.conftest import count_rows, enrolment_code, run_cli, wait_until

pytestmark = pytest.mark.browser


def open_enrolled_kiosk(page, live_server, code: str) -> None:
    page.goto(f"{live_server.url}/kiosk")
    page.get_by_label("Code de mise en service").fill(code)
    page.get_by_role("button", name="Mettre en service", exact=True).click()
    page.wait_for_selector("#screen-faces:not([hidden])")
    # The worker must be in control before the network goes, or nothing serves the page offline.
    page.evaluate("() => navigator.serviceWorker.ready")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def queue_size(page) -> int:
    return page.evaluate("() => window.guichetKiosk.queueSize()")


def press(page, rating: int, topic: str | None = None, comment: str = "") -> None:
    page.locator(f".face-{rating}").click()
    page.wait_for_selector("#screen-details:not([hidden])")
    if topic or comment:
        if topic:
            page.get_by_role("button", name=topic).click()
        page.get_by_label("Un mot de plus ?").fill(comment)
        page.get_by_role("button", name="Envoyer").click()
    else:
        page.get_by_role("button", name="Passer").click()
    page.wait_for_selector("#screen-thanks:not([hidden])")
    page.get_by_role("button", name="Terminer").click()
    page.wait_for_selector("#screen-faces:not([hidden])")


def test_five_presses_offline_survive_a_reload_and_are_stored_exactly_once(live_server, page, office_with_kiosk, settings):
    setup = office_with_kiosk("--min-gap-ms", "0")
    source = f"kiosk:{setup['kiosk_id']}"
    open_enrolled_kiosk(page, live_server, setup["code"])
    page.context.set_offline(True)
    press(page, 1, topic="Temps d'attente", comment="Trop d'attente ce matin")
    for rating in (2, 3, 4, 5):
        press(page, rating)
    assert queue_size(page) == 5
    page.reload()
    page.wait_for_selector("#screen-faces:not([hidden])")
    assert page.locator("#status").get_attribute("data-state") == "offline"
    assert queue_size(page) == 5
    assert count_rows(settings, source)[0] == 0
    page.context.set_offline(False)
    wait_until(lambda: queue_size(page) == 0, message="the queue to empty")
    rows, keys, flagged = count_rows(settings, source)
    assert (rows, keys) == (5, 5)
    # Five entries inside ten seconds: from the fourth on they count as a burst.
    assert flagged == 2


def test_presses_closer_than_the_gap_are_ignored(live_server, page, office_with_kiosk, settings):
    setup = office_with_kiosk("--min-gap-ms", "4000")
    open_enrolled_kiosk(page, live_server, setup["code"])
    page.locator(".face-4").click()
    page.get_by_role("button", name="Passer").click()
    page.get_by_role("button", name="Terminer").click()
    page.locator(".face-5").click()  # under four seconds after the first press
    assert page.locator("main").get_attribute("data-screen") == "faces"
    page.wait_for_timeout(4000)
    page.locator(".face-5").click()
    assert page.locator("main").get_attribute("data-screen") == "details"


def test_a_server_restart_during_sync_loses_nothing_and_duplicates_nothing(live_server, page, office_with_kiosk, settings):
    setup = office_with_kiosk()
    source = f"kiosk:{setup['kiosk_id']}"
    open_enrolled_kiosk(page, live_server, setup["code"])
    page.context.set_offline(True)
    total = 3000
    page.evaluate(f"async () => {{ for (let i = 0; i < {total}; i++) await window.guichetKiosk.record(1 + i % 5); }}")
    assert queue_size(page) == total
    page.context.set_offline(False)
    page.evaluate("() => { window.guichetKiosk.syncNow(); }")
    stored_at_restart = wait_until(lambda: count_rows(settings, source)[0], interval=0.05, message="a first batch")
    live_server.restart()
    wait_until(lambda: queue_size(page) == 0, timeout=60, message="the queue to empty after the restart")
    rows, keys, _ = count_rows(settings, source)
    assert (rows, keys) == (total, total)
    assert stored_at_restart < total, "the restart came after the sync had finished"


def test_a_revoked_kiosk_keeps_its_queue_and_shows_it_is_not_connected(live_server, page, office_with_kiosk, settings):
    setup = office_with_kiosk("--min-gap-ms", "0")
    source = f"kiosk:{setup['kiosk_id']}"
    open_enrolled_kiosk(page, live_server, setup["code"])
    press(page, 5)
    wait_until(lambda: count_rows(settings, source)[0] == 1, message="the first press")
    run_cli(settings, "kiosk", "revoke", str(setup["kiosk_id"]))
    press(page, 2)
    page.wait_for_selector("#status[data-state='unauthorized']")
    assert "Non connecté" in page.locator("#status").inner_text()
    assert queue_size(page) == 1
    assert count_rows(settings, source)[0] == 1
    # Staff bring it back with a new code: the kept press is then sent, once.
    _, code = enrolment_code(run_cli(settings, "kiosk", "new-code", str(setup["kiosk_id"])))
    page.get_by_role("button", name="Remettre en service").click()
    page.get_by_label("Code de mise en service").fill(code)
    page.get_by_role("button", name="Mettre en service", exact=True).click()
    wait_until(lambda: queue_size(page) == 0, message="the kept press to be sent")
    assert count_rows(settings, source)[:2] == (2, 2)


def test_kiosk_screens_have_no_accessibility_violations(live_server, page, office_with_kiosk, axe):
    setup = office_with_kiosk()
    page.goto(f"{live_server.url}/kiosk")
    page.wait_for_selector("#screen-enrol:not([hidden])")
    assert axe(page) == []
    page.get_by_label("Code de mise en service").fill(setup["code"])
    page.get_by_role("button", name="Mettre en service", exact=True).click()
    page.wait_for_selector("#screen-faces:not([hidden])")
    assert axe(page) == []
    page.locator(".face-3").click()
    page.get_by_role("button", name="Temps d'attente").click()
    assert axe(page) == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert axe(page) == []


# Entries a kiosk could hold that the server cannot take as they are: written straight into its queue,
# as an older kiosk version (or a damaged one) would have left them.
QUEUE_ODD_ENTRIES = """async () => {
  const d = await new Promise((resolve, reject) => {
    const open = indexedDB.open("guichet-kiosk", 1);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const now = new Date().toISOString();
  const items = [
    {id: crypto.randomUUID(), device_time: now, rating: "cinq", topics: [], comment: "", flagged: false, question: "visit"},
    {id: crypto.randomUUID(), device_time: now, rating: 2, topics: [], comment: "Trop" + String.fromCharCode(0) + " long", flagged: false, question: "visit"},
    // Half of an emoji, as a comment cut at 500 UTF-16 units used to leave it.
    {id: crypto.randomUUID(), device_time: now, rating: 3, topics: [], comment: "Super " + String.fromCharCode(0xD83D), flagged: false, question: "visit"},
  ];
  await new Promise((resolve, reject) => {
    const t = d.transaction("queue", "readwrite");
    items.forEach((item, i) => t.objectStore("queue").put({id: item.id, seq: Date.now() * 1000 + 500 + i, item: item}));
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
  });
  d.close();
}"""


def test_entries_the_server_refuses_or_cleans_do_not_hold_back_the_queue(live_server, page, office_with_kiosk, settings):
    from portal.store.core.tables import Feedback
    from tests.counters.conftest import run_in_store

    setup = office_with_kiosk("--min-gap-ms", "0")
    source = f"kiosk:{setup['kiosk_id']}"
    open_enrolled_kiosk(page, live_server, setup["code"])
    page.context.set_offline(True)
    press(page, 4)
    page.evaluate(QUEUE_ODD_ENTRIES)
    press(page, 5)
    assert queue_size(page) == 5
    page.context.set_offline(False)
    wait_until(lambda: queue_size(page) == 0, message="the queue to empty")
    assert count_rows(settings, source)[:2] == (4, 4)
    rejected = page.evaluate("() => window.guichetKiosk.rejected()")
    assert [r["reason"] for r in rejected] == ["rating:invalid"]

    async def texts():
        return sorted(r["text"] for r in await Feedback.select(Feedback.text).where(Feedback.source == source))

    assert run_in_store(settings, texts) == ["", "", "Super \ufffd", "Trop long"]


def test_the_kiosk_speaks_its_devices_language_and_each_visitor_may_switch(live_server, page, office_with_kiosk, axe):
    setup = office_with_kiosk("--language", "en", "--min-gap-ms", "0")
    page.goto(f"{live_server.url}/kiosk")
    page.wait_for_selector("#screen-enrol:not([hidden])")
    # Not enrolled yet: French, the portal's default, with the whole enrolment screen in English a touch away.
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Administration" in page.locator("#screen-enrol").inner_text() and "portal kiosk" not in page.content()
    page.get_by_role("button", name="Set up", exact=True).click()
    assert page.locator("#enrol-error").inner_text() == "Type the set-up code."
    page.get_by_label("Enrolment code").fill(setup["code"])
    page.get_by_role("button", name="Set up", exact=True).click()
    page.wait_for_selector("#screen-faces:not([hidden])")
    # This device speaks English.
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#question").inner_text() == "How was your visit today?"
    assert page.locator("#service-name").inner_text() == "Test service"
    assert page.locator(".face-5 .face-label").inner_text() == "Very happy"
    assert axe(page) == []
    # A visitor switches to French for their visit, topics included.
    page.get_by_role("button", name="Français").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#question").inner_text() == "Comment s'est passée votre visite aujourd'hui ?"
    page.locator(".face-2").click()
    page.get_by_role("button", name="Temps d'attente").click()
    assert axe(page) == []
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_role("button", name="Terminer").click()
    page.wait_for_selector("#screen-faces:not([hidden])")
    # The next visitor starts in the device's language again.
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#question").inner_text() == "How was your visit today?"
    assert page.get_by_role("button", name="Français").is_visible()
