"""`portal backup DIR` and `portal restore FILE` as real processes: a copy made while the store is open, restored
into a fresh database where every table holds the same rows; a non-empty database is refused unless forced."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import subprocess
import sys
import uuid

import asyncpg

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
