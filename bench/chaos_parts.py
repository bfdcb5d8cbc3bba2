"""The moving parts of the chaos bench: portal processes killed and restarted, a round-robin proxy, an SMTP sink."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
MODEL_CACHE = Path(os.environ.get("PORTAL_TEST_MODEL_CACHE", ROOT / "var" / "test-model-cache"))
# Clients all come from 127.0.0.1 through the proxy: the per-client limits are raised for the bench.
RAISED_LIMITS = {"PORTAL_RATE_LIMIT": "1000000/60", "PORTAL_LOOKUP_LIMIT": "1000000/60",
                 "PORTAL_LOOKUP_MISS_LIMIT": "1000000/60"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def link_models(data_dir: Path, cache: Path = MODEL_CACHE) -> None:
    """The prepared encoder of the model cache, seen from the bench's data dir (never downloaded)."""
    target = data_dir / "models"
    if not target.exists():
        target.symlink_to((cache / "models").resolve(), target_is_directory=True)


def portal_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_DATABASE_URL=database_url, PORTAL_SECRET_KEY="chaos-bench-secret",
               PORTAL_LOG_LEVEL="WARNING", PORTAL_DB_POOL_SIZE="4", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT),
               **RAISED_LIMITS)
    env.update(extra)
    return env


@dataclass
class Downtime:
    """One kill: which process, when it was killed and when it was back (seconds since the load began)."""

    name: str
    kind: str
    killed_at: float
    back_at: float | None = None


class PortalProcess:
    """One `portal serve|worker|scheduler` process, its output in a log file; ready once it says so."""

    def __init__(self, name: str, kind: str, argv: list[str], env: dict[str, str], log_dir: Path, port: int | None = None,
                 ready_text: str | None = None):
        self.name, self.kind, self.argv, self.env, self.port, self.ready_text = name, kind, argv, env, port, ready_text
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    async def start(self, timeout: float = 180.0) -> None:
        log = self.log_path.open("a")
        log.write(f"--- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n")
        log.flush()
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen([sys.executable, "-m", "portal", *self.argv], env=self.env, cwd=ROOT,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
                if await self._ready(client, offset):
                    return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f} s; see {self.log_path}")

    async def _ready(self, client: httpx.AsyncClient, offset: int) -> bool:
        if self.port is not None:
            try:
                return (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200
            except httpx.HTTPError:
                return False
        if self.ready_text is None:
            return True
        with self.log_path.open() as f:
            f.seek(offset)
            return self.ready_text in f.read()

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine or a container dies."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Fleet:
    """The processes of one run; kills one chosen at random and restarts it, recording the downtime."""

    processes: list[PortalProcess]
    downtimes: list[Downtime] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(15))

    @property
    def web_ports(self) -> list[int]:
        return [p.port for p in self.processes if p.kind == "web"]

    async def start(self) -> None:
        # The first worker alone, since it may export the int8 encoder into the shared cache; then the others together.
        first = next((p for p in self.processes if p.kind == "worker"), None)
        if first is not None:
            await first.start()
        await asyncio.gather(*(p.start() for p in self.processes if p is not first))

    async def kill_and_restart(self, t0: float) -> Downtime:
        victim = self.rng.choice(self.processes)
        down = Downtime(victim.name, victim.kind, time.monotonic() - t0)
        self.downtimes.append(down)
        victim.kill()
        await victim.start()
        down.back_at = time.monotonic() - t0
        return down

    def stop(self) -> None:
        for p in self.processes:
            p.stop()

    def was_down(self, sent: float, answered: float, grace: float = 1.0) -> Downtime | None:
        """The kill a request overlapped (sent and answered in seconds since the load began), if any:
        in flight when its process was killed, or sent before the process was back."""
        for d in self.downtimes:
            if d.kind != "web":  # the web processes answer requests: a worker or scheduler down is no excuse
                continue
            if answered >= d.killed_at - 0.05 and sent <= (d.back_at if d.back_at is not None else float("inf")) + grace:
                return d
        return None


def postgres_fleet(data_dir: Path, env: dict[str, str], log_dir: Path, webs: int = 3, workers: int = 2, schedulers: int = 2,
                   lease_seconds: int = 10) -> Fleet:
    """Web processes without worker or scheduler, `portal worker` and `portal scheduler` processes beside them."""
    web_env = {**env, "PORTAL_RUN_WORKER": "false", "PORTAL_RUN_SCHEDULER": "false"}
    processes = []
    for i in range(webs):
        port = free_port()
        processes.append(PortalProcess(f"web{i + 1}", "web", ["serve", "--no-migrate", "--port", str(port)], web_env, log_dir, port))
    for i in range(workers):
        processes.append(PortalProcess(f"worker{i + 1}", "worker", ["worker", "--lease-seconds", str(lease_seconds),
                                       "--poll-seconds", "0.5"], env, log_dir, ready_text="worker ready"))
    for i in range(schedulers):
        processes.append(PortalProcess(f"scheduler{i + 1}", "scheduler", ["scheduler"], {**env, "PORTAL_LOG_LEVEL": "INFO"},
                                       log_dir, ready_text="digest scheduler running"))
    return Fleet(processes)


def embedded_fleet(env: dict[str, str], log_dir: Path) -> Fleet:
    """The quick-start shape: one web process running the worker and the scheduler inside it."""
    port = free_port()
    web_env = {**env, "PORTAL_RUN_WORKER": "true", "PORTAL_RUN_SCHEDULER": "true"}
    return Fleet([PortalProcess("web1", "web", ["serve", "--no-migrate", "--port", str(port)], web_env, log_dir, port)])


BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class RoundRobinProxy:
    """One address for the web processes: each connection goes to the next backend that accepts it.

    A backend whose connect fails is skipped, as nginx does with `proxy_next_upstream error`; when
    none accepts, the client gets a 502. A backend that dies mid-request drops the connection.
    """

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.turn = 0
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = None
        for _ in range(len(self.ports)):
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            try:
                upstream = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        if upstream is None:
            try:
                await reader.read(65536)
                writer.write(BAD_GATEWAY)
                await writer.drain()
            except OSError:
                pass
            writer.close()
            return
        up_reader, up_writer = upstream
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def stop(self) -> None:
        if self.server:
            self.server.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


class SmtpSink:
    """A real SMTP server (aiosmtpd) in a thread, keeping the Message-ID and recipients of every message."""

    def __init__(self):
        self.received: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server, session, envelope):
        message_id = ""
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if not line.strip():
                break
            if line.lower().startswith("message-id:"):
                message_id = line.split(":", 1)[1].strip()
        with self.lock:
            self.received.append((message_id, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m for m, _ in self.received]

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
