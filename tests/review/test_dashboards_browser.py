"""Dashboards in headless Chromium: axe-core at 320 and 1280 px in French and English, the chart within a small
phone's width, a count that opens the inbox on as many items."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect

from tests.citizen.test_accessibility import assert_no_violations
from tests.review.test_browser import sign_in
from tests.review.staff import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def figures(store) -> dict:
    from portal.review.accounts import create_user
    from tests.factories import create_dated_feedback, create_office, create_service

    async def build():
        service = await create_service(code=f"caf-{uuid.uuid4().hex[:6]}", name_fr="Allocations familiales",
                                       name_en="Family allowances")
        office = await create_office(name="Maison France services", services=[service])
        admin = await create_user(f"admin-{uuid.uuid4().hex[:6]}@gouv.fr", "Alex Admin", "admin", PASSWORD)
        now = dt.datetime.now(dt.timezone.utc)
        sentiments = ("positive", "negative", "positive", "neutral", "positive")
        for k in range(40):  # about three a week over twelve weeks, on the web and at the counter
            at_desk = k % 3 == 0
            await create_dated_feedback(
                service, received_at=now - dt.timedelta(days=2 * k + 1), sentiment=sentiments[k % 5], rating=1 + k % 5,
                channel="counter" if at_desk else "web", **({"office_id": office["id"], "given_as": "spoken"} if at_desk else {}))
        return {"service": service["code"], "office": office["code"], "admin": admin["email"]}

    return store.run(build)


def test_dashboards_read_well_at_320_and_1280_px_in_both_languages(browser, live_server, figures):
    base = live_server.url
    paths = (f"/staff/dashboards/services/{figures['service']}", f"/staff/dashboards/services/{figures['service']}?weeks=52",
             f"/staff/dashboards/offices/{figures['office']}", "/staff/dashboards")
    for language in ("fr-FR", "en-GB"):
        context = browser.new_context(locale=language)
        page = context.new_page()
        sign_in(page, base, figures["admin"])
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            for path in paths:
                page.goto(base + path)
                assert_no_violations(page, f"{path} at {width} px ({language})")
                assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} at {width} px"
            page.goto(base + paths[0])
            chart = page.locator("#chart-trend")
            expect(chart).to_be_visible()
            assert chart.bounding_box()["width"] <= width
            expect(page.locator("#chart-trend polyline.line")).to_have_count(1)
        # The first week's count opens the inbox on that many items.
        link = page.locator("#trend ~ .table-wrap tbody tr a").first
        shown = int(link.inner_text())
        link.click()
        page.wait_for_url("**/staff/inbox?**")
        expect(page.locator("table.data tbody tr")).to_have_count(shown)
        context.close()
