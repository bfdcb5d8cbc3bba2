"""Fixtures of the administration tests: the app sending its e-mail to the real SMTP test server."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import clean_tables


@pytest.fixture
async def mail_client(make_app, smtp_server):
    """Like `client`, with the app's e-mail going to `smtp_server`."""
    app = make_app(smtp_url=smtp_server.url)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
        await clean_tables()
