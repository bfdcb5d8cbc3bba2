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
