"""What the command-line processes share: the function a command runs, and stopping cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
from typing import Any, Callable

Command = Callable[[argparse.Namespace, Any], "int | None"]


def command_function(func: Command | str) -> Command:
    """The function a command runs (its parser's `func` default).

    A command whose code is slow to load (the web application, the scheduler, the classifier, the
    store) is named as "module:function" and its module is imported only when that command runs,
    so that `--help` and the other commands start quickly.
    """
    if isinstance(func, str):
        module_name, _, name = func.partition(":")
        return getattr(importlib.import_module(module_name), name)
    return func


def stop_event_on_signals() -> asyncio.Event:
    """An event set when the process is asked to stop, so the current batch or job can finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
