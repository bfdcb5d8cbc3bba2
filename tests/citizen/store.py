"""Test data for tests that drive the live server from sync code (Playwright, schemathesis)."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable

from portal.settings import Settings
from tests.factories import create_feedback, create_service


class Store:
    """Runs factory calls on the live server's database, each in its own short event loop.

    The live server is another process on the same database, so this binds its own engine for
    each call. Playwright's sync API keeps an event loop running in the main thread, so each call
    runs its loop in a worker thread.
    """

    def __init__(self, settings: Settings):
        self.settings = settings

    def run(self, work: Callable[[], Awaitable[Any]]) -> Any:
        from portal.store.engine import (
            bind_engine,
            build_engine,
            close_engine,
            open_engine,
        )

        async def bound() -> Any:
            engine = bind_engine(build_engine(self.settings))
            await open_engine(engine, pool_size=1)
            try:
                return await work()
            finally:
                await close_engine(engine)

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, bound()).result()

    def service(self, **kw) -> dict:
        return self.run(lambda: create_service(**kw))

    def feedback(self, service: dict, **kw) -> str:
        return self.run(lambda: create_feedback(service, **kw)).reference

    def answer(self, reference: str, text: str, status: str = "answered") -> None:
        from portal.store.core.tables import Feedback

        now = dt.datetime.now(dt.timezone.utc)
        self.run(
            lambda: Feedback.update({Feedback.status: status, Feedback.public_answer: text, Feedback.answered_at: now}).where(
                Feedback.reference == reference
            )
        )

    def count_feedback(self) -> int:
        from portal.store.core.tables import Feedback

        return self.run(Feedback.count)

    def empty(self) -> None:
        from tests.conftest import clean_tables

        self.run(clean_tables)
