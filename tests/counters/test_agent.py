"""The button-box agent against a real server that is down, then up: every press stored once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.conftest import ROOT
from tests.counters.conftest import count_rows, wait_until


def queued(state) -> int:
    try:
        with sqlite3.connect(state) as conn:
            return conn.execute("SELECT count(*) FROM press").fetchone()[0]
    except sqlite3.OperationalError:
        return -1


def test_a_thousand_presses_while_the_server_is_down_are_all_stored_once(live_server, office_with_kiosk, settings, tmp_path):
    setup = office_with_kiosk("--kind", "buttons")
    state = tmp_path / "agent.db"
    log = tmp_path / "agent.log"
    live_server.stop()
    try:
        agent = subprocess.Popen(
            [sys.executable, "-m", "counters", "agent", "--server", live_server.url, "--enrol", setup["code"],
             "--state", str(state), "--stdin", "--min-gap-ms", "0", "--max-backoff", "1", "--exit-when-empty"],
            stdin=subprocess.PIPE, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT, text=True,
        )
        agent.stdin.write("".join(f"{1 + i % 4}\n" for i in range(1000)))
        agent.stdin.close()
        wait_until(lambda: queued(state) == 1000, message="1,000 presses queued")
        assert agent.poll() is None, "the agent gave up while the server was down"
    finally:
        live_server.start()
    agent.wait(timeout=60)
    output = log.read_text()
    assert agent.returncode == 0, output
    assert queued(state) == 0
    rows, keys, flagged = count_rows(settings, f"agent:{setup['kiosk_id']}")
    assert (rows, keys) == (1000, 1000)
    assert "'accepted': 1000" in output


def test_presses_the_server_refuses_leave_the_queue_and_the_others_are_stored(live_server, office_with_kiosk, settings, tmp_path):
    import datetime as dt
    import uuid

    from counters.agent import Queue, Sender

    setup = office_with_kiosk("--kind", "buttons")
    queue = Queue(tmp_path / "agent.db")
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    presses = [
        {"id": str(uuid.uuid4()), "device_time": now, "rating": 4, "flagged": False, "question": "buttons"},
        {"id": str(uuid.uuid4()), "device_time": now, "rating": "four"},  # written by a broken older agent
        {"id": str(uuid.uuid4()), "device_time": "0001-01-01T00:00:00+00:00", "rating": 2},  # a clock never set
        {"id": "press-7", "device_time": now, "rating": 1},
        {"id": str(uuid.uuid4()), "device_time": now, "rating": 5, "flagged": False, "question": "buttons"},
    ]
    for press in presses:
        queue.add(press)
    sender = Sender(live_server.url, queue, setup["code"])
    assert sender.send_once() == 5
    assert queue.size() == 0
    assert sender.stats == {"accepted": 2, "duplicate": 0, "rejected": 3}
    assert count_rows(settings, f"agent:{setup['kiosk_id']}")[:2] == (2, 2)
