"""`portal backup DIR` and `portal restore FILE` as real processes: a copy made while the store is open, restored
into a fresh database where every table holds the same rows; a non-empty database is refused unless forced."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import stat
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from portal.store.backup import tool_connection
from portal.store.schema import ALL_TABLES
from portal.store.subscriptions import add_subscription
from tests.admin.privacy_data import create_item
from tests.conftest import PG_ADMIN_URL, ROOT, TEST_DB, _pg_admin, server_env
from tests.factories import create_office, create_publication, create_service
from tests.review.staff import create_staff


def portal(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal", *args], env=server_env(settings, **env), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


async def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the database, read with its own driver (not the portal's store)."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}
    conn = await asyncpg.connect(url)
    try:
        names = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
        return {n: await conn.fetchval(f'SELECT COUNT(*) FROM "{n}"') for n in sorted(names)}
    finally:
        await conn.close()


async def fill(db) -> None:
    service = await create_service()
    await create_office(services=[service])
    await create_staff("agent", services=[service])
    items = [await create_item(service, email=f"p{i}@example.fr", closed_days_ago=i) for i in range(5)]
    await create_publication(items[0]["id"])
    await add_subscription(owner_email="chef@example.gouv.fr", services=[service["code"]], frequency="weekly", weekday=0,
                           send_time="08:00", time_zone="Europe/Paris", language="fr", now=dt.datetime.now(dt.timezone.utc))


async def fresh_database(tmp_path) -> tuple[str, str | None]:
    if TEST_DB == "postgres":
        name = f"guichet_restore_{uuid.uuid4().hex[:10]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        return f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}", name
    return f"sqlite:///{tmp_path / 'fresh' / 'portal.db'}", None


async def test_a_backup_restored_into_a_fresh_database_has_every_row(db, tmp_path):
    await fill(db)
    before = await table_counts(db.database_url)
    assert before["feedback"] == 5 and before["citizen_mail"] == 5 and before["publication"] == 1
    assert sum(1 for n in before.values() if n) >= 10

    made = await asyncio.to_thread(portal, db, "backup", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stderr
    [file] = list((tmp_path / "backups").iterdir())
    assert file.name.startswith("guichet-") and file.suffix in (".sqlite3", ".pgdump") and "backup written" in made.stdout
    assert db.database_url not in made.stdout + made.stderr

    url, name = await fresh_database(tmp_path)
    try:
        restored = await asyncio.to_thread(portal, db, "restore", str(file), PORTAL_DATABASE_URL=url)
        assert restored.returncode == 0, restored.stderr
        assert await table_counts(url) == before
        assert f"{sum(before[t._meta.tablename] for t in ALL_TABLES)} rows" in restored.stdout

        again = await asyncio.to_thread(portal, db, "restore", str(file), PORTAL_DATABASE_URL=url)
        assert again.returncode == 2 and "not empty" in again.stderr and "--force" in again.stderr
        forced = await asyncio.to_thread(portal, db, "restore", str(file), "--force", PORTAL_DATABASE_URL=url)
        assert forced.returncode == 0, forced.stderr
        assert await table_counts(url) == before
    finally:
        if name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_file_of_the_other_kind_or_no_file_is_refused(db, tmp_path):
    other = tmp_path / ("copy.sqlite3" if TEST_DB == "postgres" else "copy.pgdump")
    other.write_bytes(b"SQLite format 3\x00" if TEST_DB == "postgres" else b"PGDMP\x01\x0e")
    url, name = await fresh_database(tmp_path)
    try:
        wrong = await asyncio.to_thread(portal, db, "restore", str(other), PORTAL_DATABASE_URL=url)
        assert wrong.returncode == 2 and "is a backup of a" in wrong.stderr
        missing = await asyncio.to_thread(portal, db, "restore", str(tmp_path / "nothing"), PORTAL_DATABASE_URL=url)
        assert missing.returncode == 2 and "no file" in missing.stderr
        junk = tmp_path / "junk.bin"
        junk.write_bytes(b"hello")
        refused = await asyncio.to_thread(portal, db, "restore", str(junk), PORTAL_DATABASE_URL=url)
        assert refused.returncode == 2 and "neither an SQLite database nor a pg_dump" in refused.stderr
    finally:
        if name:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_copy_is_for_its_owner_only_and_a_failed_one_leaves_nothing(db, tmp_path):
    await fill(db)
    folder = tmp_path / "new" / "backups"
    made = await asyncio.to_thread(portal, db, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    [file] = list(folder.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(file.stat().st_mode) == 0o600

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    failed_to = tmp_path / "failed"
    broken = f"{PG_ADMIN_URL.rpartition('/')[0]}/no_such_db_{uuid.uuid4().hex[:8]}" if TEST_DB == "postgres" \
        else f"sqlite:///{junk}"
    failed = await asyncio.to_thread(portal, db, "backup", str(failed_to), "--database-url", broken)
    assert failed.returncode == 2 and "no backup written" in failed.stderr and "Traceback" not in failed.stderr
    assert list(failed_to.iterdir()) == []  # no .partial left behind


def test_the_password_travels_in_the_environment_not_on_the_command_line():
    url, env = tool_connection("postgresql://guichet:s%40cret@db.internal:5432/portal?sslmode=require")
    assert url == "postgresql://guichet@db.internal:5432/portal?sslmode=require" and env["PGPASSWORD"] == "s@cret"
    assert tool_connection("postgresql://guichet@db:5432/portal")[0] == "postgresql://guichet@db:5432/portal"


@pytest.mark.skipif(TEST_DB != "postgres", reason="PgBouncer and pg_dump: PostgreSQL only")
async def test_through_pgbouncer_a_direct_address_is_asked_for(db, tmp_path):
    await fill(db)
    refused = await asyncio.to_thread(portal, db, "backup", str(tmp_path / "b"), PORTAL_DATABASE_POOLER="pgbouncer")
    assert refused.returncode == 2 and "--database-url" in refused.stderr and not (tmp_path / "b").exists()
    parts = urlsplit(db.database_url)
    with_password = urlunsplit(parts._replace(netloc=f"{parts.username}:never-shown@{parts.hostname}:{parts.port}"))
    made = await asyncio.to_thread(portal, db, "backup", str(tmp_path / "b"), "--database-url", with_password,
                                   PORTAL_DATABASE_POOLER="pgbouncer")
    assert made.returncode == 0, made.stderr
    [file] = list((tmp_path / "b").iterdir())
    assert file.suffix == ".pgdump" and "never-shown" not in made.stdout + made.stderr
    back = await asyncio.to_thread(portal, db, "restore", str(file), PORTAL_DATABASE_POOLER="pgbouncer")
    assert back.returncode == 2 and "--database-url" in back.stderr
