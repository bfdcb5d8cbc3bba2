"""Fixtures of the staff workspace's tests."""

from __future__ import annotations

import pytest

from tests.conftest import app_client

BASE_URL = "https://guichet.example.fr"


@pytest.fixture
async def mail_client(make_app, settings, smtp_server):
    """Like `client`, with the portal sending through the real test SMTP server and its links on `BASE_URL`
    (its scheduler off, as in every test: the tests run the citizens' outbox themselves, as the scheduler would)."""
    async with app_client(make_app, settings, smtp_url=smtp_server.url, base_url=BASE_URL) as c:
        yield c
