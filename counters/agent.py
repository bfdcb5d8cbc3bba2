"""`counters agent`: a button box's client; presses go to a local SQLite queue, then to the sync API."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

log = logging.getLogger("counters.agent")

# Four keys: no middle answer, as on four-face kiosks.
FOUR_KEYS = {"1": 1, "2": 2, "3": 4, "4": 5}
FIVE_KEYS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}


class Queue:
    """Presses waiting to be sent, in a SQLite file that survives power cuts and restarts."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self.lock = threading.Lock()
        with self.lock:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # a press acknowledged is a press kept
            self.conn.execute("CREATE TABLE IF NOT EXISTS press (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, item TEXT)")
            self.conn.execute("CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT)")

    def add(self, item: dict) -> None:
        with self.lock:
            self.conn.execute("INSERT INTO press (id, item) VALUES (?, ?)", (item["id"], json.dumps(item)))

    def oldest(self, limit: int) -> list[dict]:
        with self.lock:
            return [json.loads(r[0]) for r in self.conn.execute("SELECT item FROM press ORDER BY seq LIMIT ?", (limit,))]

    def remove(self, ids: list[str]) -> None:
        with self.lock:
            self.conn.executemany("DELETE FROM press WHERE id = ?", [(i,) for i in ids])

    def size(self) -> int:
        with self.lock:
            return self.conn.execute("SELECT count(*) FROM press").fetchone()[0]

    def get(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", (key, value))


class NotConnected(Exception):
    """The server refused this device's token (revoked or unknown): keep the queue, tell staff."""


def _post(url: str, body: dict, token: str | None, timeout: float = 15.0) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, {}


class Sender:
    """Sends the queue in batches; backs off exponentially (with jitter) while the server is away."""

    def __init__(self, server: str, queue: Queue, enrol_code: str | None, batch: int = 500, max_backoff: float = 60.0):
        self.server, self.queue, self.enrol_code = server.rstrip("/"), queue, enrol_code
        self.batch, self.max_backoff, self.backoff = batch, max_backoff, 0.0
        self.stats = {"accepted": 0, "duplicate": 0, "rejected": 0}

    def token(self) -> str:
        token = self.queue.get("token")
        if token:
            return token
        if not self.enrol_code:
            raise NotConnected("no device token: run with --enrol CODE")
        status, body = _post(f"{self.server}/api/v1/counters/enrol", {"code": self.enrol_code}, None)
        if status != 201:
            raise NotConnected(f"enrolment refused ({status}): ask for a new code with `portal kiosk new-code`")
        self.queue.put("token", body["token"])
        self.queue.put("device", json.dumps(body["device"]))
        log.info("enrolled as device %s for %s", body["device"]["id"], body["device"]["office"]["code"])
        return body["token"]

    def send_once(self) -> int:
        """Send one batch; returns how many items left the queue. Raises on network trouble."""
        items = self.queue.oldest(self.batch)
        if not items:
            return 0
        left = max(0, self.queue.size() - len(items))  # shown to administrators as this box's queue
        status, body = _post(f"{self.server}/api/v1/counters/sync", {"items": items, "queued": left}, self.token())
        if status == 401:
            raise NotConnected("the server refused this device's token (revoked?): presses are kept")
        if status != 200:
            raise OSError(f"sync answered {status}")
        # One result per item sent, in order: matched by position, so a press whose id the server could
        # not read leaves the queue too instead of being resent forever.
        answered = list(zip(items, body["results"]))
        for item, result in answered:
            self.stats[result["status"]] = self.stats.get(result["status"], 0) + 1
            if result["status"] == "rejected":
                log.warning("press %s rejected: %s", item.get("id"), result.get("message") or result.get("reason"))
        self.queue.remove([item["id"] for item, _ in answered])
        return len(answered)

    def run(self, stop: threading.Event, exit_when_empty: threading.Event) -> None:
        while not stop.is_set():
            try:
                while self.send_once():
                    self.backoff = 0.0
                self.backoff = 0.0
                if exit_when_empty.is_set() and self.queue.size() == 0:
                    return
                stop.wait(0.5)
            except (OSError, NotConnected, ValueError) as exc:
                self.backoff = min(self.backoff * 2 if self.backoff else 0.5, self.max_backoff)
                delay = self.backoff * random.uniform(0.75, 1.25)
                log.warning("%s; %d presses kept, next try in %.1f s", exc, self.queue.size(), delay)
                stop.wait(delay)


class PressReader:
    """Turns keys (from a terminal in raw mode, or lines on stdin) into queued presses."""

    def __init__(self, queue: Queue, keys: dict[str, int], min_gap_ms: int, burst_count: int = 4, burst_window_ms: int = 10000):
        self.queue, self.keys, self.min_gap = queue, keys, min_gap_ms / 1000
        self.burst_count, self.burst_window = burst_count, burst_window_ms / 1000
        self.last = 0.0
        self.recent: list[float] = []

    def press(self, key: str) -> bool:
        rating = self.keys.get(key)
        if rating is None:
            return False
        now = time.monotonic()
        if self.min_gap and now - self.last < self.min_gap:
            return False  # a bounce, or someone hammering: ignored
        self.last = now
        self.recent = [t for t in self.recent if now - t < self.burst_window] + [now]
        self.queue.add(
            {
                "id": str(uuid.uuid4()),
                "device_time": dt.datetime.now(dt.timezone.utc).isoformat(),
                "rating": rating,
                "flagged": bool(self.min_gap) and len(self.recent) >= self.burst_count,
                "question": "buttons",
            }
        )
        return True

    def read_lines(self, stream) -> int:
        count = 0
        for line in stream:
            count += self.press(line.strip())
        return count

    def read_terminal(self, stop: threading.Event) -> None:
        import termios
        import tty

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)
            while not stop.is_set():
                key = sys.stdin.read(1)
                if key in ("", "\x04", "q"):
                    return
                self.press(key)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_agent(args) -> int:
    queue = Queue(Path(args.state))
    if args.enrol and args.enrol != queue.get("enrol_code"):
        # A new code replaces whatever token this box had; the same code again (a restart) changes nothing.
        queue.put("token", "")
        queue.put("enrol_code", args.enrol)
    keys = FOUR_KEYS if args.keys == 4 else FIVE_KEYS
    reader = PressReader(queue, keys, args.min_gap_ms)
    sender = Sender(args.server, queue, args.enrol, batch=args.batch, max_backoff=args.max_backoff)
    stop, input_done = threading.Event(), threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop, input_done), daemon=True)
    thread.start()
    try:
        if args.stdin or not sys.stdin.isatty():
            read = reader.read_lines(sys.stdin)
            log.info("%d presses read", read)
        else:
            print("Press the box's keys (1-%d); q to stop." % args.keys, file=sys.stderr)
            reader.read_terminal(stop)
        input_done.set()
        if args.exit_when_empty:
            thread.join()
        else:
            while thread.is_alive():
                thread.join(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join(5)
    log.info("sent: %s; %d presses still queued", sender.stats, queue.size())
    return 0
