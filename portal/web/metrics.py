"""The portal's Prometheus figures: what each process counts, shared between the processes of one machine, and the /metrics text."""

from __future__ import annotations

import functools
import glob
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# What the first part of a feedback's `source` says about its channel, in words an operator reads.
CHANNEL_OF_SOURCE = {"web": "web", "api": "api", "clerk": "clerk", "kiosk": "kiosk", "agent": "button box",
                     "open311": "open311", "demo": "demo"}
_PID_FILE = re.compile(r"_(\d+)\.db$")


@dataclass(frozen=True)
class PortalMetrics:
    """Every figure a process counts. Built on first use, after the process chose where figures live."""

    requests: Counter
    request_seconds: Histogram
    requests_in_progress: Gauge
    feedback_received: Counter
    labelling_seconds: Histogram
    digest_deliveries: Counter
    smtp_failures: Counter


@functools.cache
def portal_metrics() -> PortalMetrics:
    return PortalMetrics(
        requests=Counter("guichet_http_requests", "HTTP requests answered, by route template and status.",
                         ["method", "route", "status"]),
        request_seconds=Histogram(
            "guichet_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
            ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)),
        # A live gauge: a process that died stops counting (its file is removed as it is found dead).
        requests_in_progress=Gauge("guichet_http_requests_in_progress", "HTTP requests being answered now.",
                                   multiprocess_mode="livesum"),
        feedback_received=Counter("guichet_feedback_received", "Feedback stored, by channel.", ["channel"]),
        labelling_seconds=Histogram(
            "guichet_labelling_latency_seconds", "From a feedback stored to its labels stored by the worker, by channel.",
            ["channel"], buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400)),
        digest_deliveries=Counter("guichet_digest_deliveries", "Digest delivery attempts, by outcome (sent, retrying, failed).",
                                  ["outcome"]),
        smtp_failures=Counter("guichet_smtp_failures", "Failed SMTP attempts (temporary: tried again; permanent: refused).",
                              ["kind"]),
    )


def channel_of(source: str) -> str:
    """The channel a feedback's source names ("kiosk:12" is a kiosk), without the device or person."""
    return CHANNEL_OF_SOURCE.get(source.partition(":")[0], "other")


def count_feedback_received(source: str, count: int = 1) -> None:
    if count:
        portal_metrics().feedback_received.labels(channel_of(source)).inc(count)


def count_smtp_failure(permanent: bool) -> None:
    portal_metrics().smtp_failures.labels("permanent" if permanent else "temporary").inc()


def count_digest_delivery(outcome: str) -> None:
    portal_metrics().digest_deliveries.labels(outcome).inc()


def observe_labelling(source: str, seconds: float) -> None:
    portal_metrics().labelling_seconds.labels(channel_of(source)).observe(max(seconds, 0.0))


def method_label(method: str) -> str:
    """The method as a label; odd methods are one label, not one each."""
    return method if method in METHODS else "other"


# --- several processes, one machine ---------------------------------------------------------------

def share_between_processes(directory: Path) -> Path | None:
    """Make this process write its figures in `directory`, shared with the machine's other portal processes.

    Called by the `portal` command before anything is counted; the processes it starts inherit the
    folder through the environment. PROMETHEUS_MULTIPROC_DIR, when the environment sets it, wins only
    over the default folder (the caller passes it when PORTAL_METRICS_DIR is empty).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        # A command on a read-only disk (a migration job) still runs; it counts in memory alone.
        logging.getLogger("portal.metrics").warning("metrics folder %s unusable (%s): counting in memory", directory,
                                                    exc.strerror)
        return None
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
    if values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()
    forget_dead_processes(directory)
    return directory


def shared_directory() -> Path | None:
    """The folder this process's figures are shared in, or None when it counts alone (in memory)."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    return Path(path) if path and Path(path).is_dir() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_processes(directory: Path) -> list[int]:
    """Remove the live gauges of processes that are gone; their counters stay, as counts already made."""
    dead = set()
    for path in glob.glob(str(directory / "*.db")):
        found = _PID_FILE.search(path)
        if found and not _alive(int(found.group(1))):
            dead.add(int(found.group(1)))
    for pid in dead:
        mark_process_dead(pid, str(directory))
    return sorted(dead)


# --- the /metrics text ------------------------------------------------------------------------------

@dataclass
class StoreFigures:
    """What /metrics reads from the store when it is asked (the same for every process: not summed)."""

    queue: dict[str, int] = field(default_factory=dict)  # classification queue: state -> items
    oldest_pending_seconds: float | None = None
    digest_runs: dict[str, int] = field(default_factory=dict)  # state -> runs
    kiosk_last_contact: list[tuple[int, str, float]] = field(default_factory=list)  # (device id, kind, seconds since)
    kiosks_never_seen: int = 0
    readable: bool = True  # False: the store did not answer, and the figures above are left out


class StoreCollector:
    """The store's figures as metric families (gauges, not summed over processes)."""

    def __init__(self, figures: StoreFigures):
        self.figures = figures

    def collect(self):
        f = self.figures
        yield GaugeMetricFamily("guichet_store_readable", "1 when the store answered this scrape's questions, else 0.",
                                value=1 if f.readable else 0)
        if not f.readable:
            return
        queue = GaugeMetricFamily("guichet_classification_queue_items", "Feedback waiting for the classifier, by state.",
                                  labels=["state"])
        for state in ("pending", "claimed"):
            queue.add_metric([state], f.queue.get(state, 0))
        yield queue
        yield GaugeMetricFamily("guichet_classification_oldest_pending_seconds",
                                "Age of the oldest feedback waiting for the classifier (0: none waiting).",
                                value=f.oldest_pending_seconds or 0.0)
        runs = GaugeMetricFamily("guichet_digest_runs", "Digest runs in the store, by state.", labels=["state"])
        for state, count in sorted(f.digest_runs.items()):
            runs.add_metric([state], count)
        yield runs
        kiosks = GaugeMetricFamily("guichet_kiosk_last_contact_seconds",
                                   "Seconds since each enrolled device (kiosk or button box) last synced.",
                                   labels=["device", "kind"])
        for device, kind, seconds in f.kiosk_last_contact:
            kiosks.add_metric([str(device), kind], seconds)
        yield kiosks
        yield GaugeMetricFamily("guichet_kiosks_never_seen", "Enrolled devices that never synced.",
                                value=f.kiosks_never_seen)


def metrics_text(figures: StoreFigures) -> bytes:
    """Every process's counts (summed across the machine's processes), then the store's figures."""
    directory = shared_directory()
    if directory is not None:
        forget_dead_processes(directory)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(directory))
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    store_registry = CollectorRegistry()
    store_registry.register(StoreCollector(figures))
    return counted + generate_latest(store_registry)
