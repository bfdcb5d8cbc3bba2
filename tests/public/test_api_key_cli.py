"""`portal api-key create|list|revoke` as an operator runs them: real processes on the test database."""

from __future__ import annotations

import subprocess
import sys

from portal.public.open311_keys import partner_of
from portal.store.core.tables import ApiKey, AuditEvent
from tests.conftest import ROOT, clean_tables, server_env
from tests.review.test_cli import in_store


def api_key(settings, *args):
    return subprocess.run([sys.executable, "-m", "portal", "api-key", *args], capture_output=True, text=True,
                          env=server_env(settings), cwd=ROOT, timeout=60)


def test_a_key_is_printed_once_listed_without_it_and_revoked(settings):
    try:
        created = api_key(settings, "create", "--name", "Ville de Lyon")
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        assert key.startswith("g311_") and len(key) > 40
        stored = in_store(settings, lambda: ApiKey.select().first())
        assert stored["name"] == "Ville de Lyon" and key not in str(stored)  # only its hash is kept
        assert in_store(settings, lambda: partner_of(key))["name"] == "Ville de Lyon"
        listed = api_key(settings, "list")
        assert listed.returncode == 0 and "Ville de Lyon" in listed.stdout and key not in listed.stdout
        assert key[:13] in listed.stdout and "never used" not in listed.stdout  # partner_of used it
        revoked = api_key(settings, "revoke", str(stored["id"]))
        assert revoked.returncode == 0, revoked.stderr
        assert in_store(settings, lambda: partner_of(key)) is None
        assert "revoked" in api_key(settings, "list").stdout
        again = api_key(settings, "revoke", str(stored["id"]))
        assert again.returncode == 2 and "no key" in again.stderr
        assert api_key(settings, "create", "--name", "   ").returncode == 2
        actions = in_store(settings, lambda: AuditEvent.select(AuditEvent.action, AuditEvent.actor_email))
        assert [(a["action"], a["actor_email"]) for a in actions] == [
            ("create_api_key", "command line"), ("revoke_api_key", "command line")]
    finally:
        in_store(settings, clean_tables)
