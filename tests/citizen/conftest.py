"""Fixtures for the citizen pages in a real browser: data in the live server's database."""

from __future__ import annotations

import uuid

import pytest



@pytest.fixture(autouse=True)
def _database_before_browser(live_server):
    """The test database is created with asyncio.run, which fails once Playwright's loop runs."""


@pytest.fixture
def town_hall(store) -> dict:
    # A new code each time: the live server caches services by code for a few seconds.
    return store.service(
        code=f"mairie-{uuid.uuid4().hex[:8]}",
        name_fr="Accueil de la mairie",
        name_en="Town hall reception",
        description_fr="État civil, attestations et orientation vers les services municipaux.",
        description_en="Civil records, certificates and directions to municipal services.",
    )


@pytest.fixture
def new_context(browser):
    """A fresh browser context per call (viewport, JavaScript, locale), all closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A French-speaking visitor (Chromium otherwise sends Accept-Language: en-US)."""
    return new_context(locale="fr-FR")
