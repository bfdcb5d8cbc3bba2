"""Running the classification worker inside a process: the web app's lifespan or `portal worker`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from portal.classify.infer import load_classifier
from portal.classify.worker import WorkerStats, run_worker
from portal.settings import Settings

log = logging.getLogger("portal.classify")


def load_configured_classifier(settings: Settings):
    """The classifier for these settings: the bundled encoder (prepared on first use) or PORTAL_MODEL_DIR."""
    model_dir = Path(settings.model_dir) if settings.model_dir else None
    return load_classifier(settings.data_dir, model_dir)


async def load_and_run(settings: Settings, state, stop: asyncio.Event, after_drain=None) -> None:
    state.model_state = "loading"
    try:
        classifier = await asyncio.to_thread(load_configured_classifier, settings)
    except Exception as exc:  # noqa: BLE001 - reported by /readyz, the portal keeps taking feedback
        log.exception("the classifier could not be loaded")
        state.model_state = f"error: {type(exc).__name__}"
        return
    state.model_state = "ready"
    state.classifier = classifier
    state.worker_stats = WorkerStats()
    await run_worker(classifier, stop, stats=state.worker_stats, after_drain=after_drain)


def worker_lifespan(settings: Settings, after_drain=None):
    """A lifespan that runs the worker beside the web app when PORTAL_RUN_WORKER is true.

    `after_drain` is the worker's step once its queue is drained (see run_worker).
    """

    @asynccontextmanager
    async def lifespan(app):
        if not settings.run_worker:
            yield
            return
        stop = asyncio.Event()
        task = asyncio.create_task(load_and_run(settings, app.state, stop, after_drain))
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, timeout=30)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                task.cancel()

    return lifespan
