"""Long-running commands (worker, scheduler): stop cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import signal


def stop_event_on_signals() -> asyncio.Event:
    """An event set when the process is asked to stop, so the current batch or job can finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
