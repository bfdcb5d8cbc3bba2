"""Partners' API keys in the store: issued, found by the hash of the key, listed, revoked."""

from __future__ import annotations

import datetime as dt

from portal.store.core.tables import ApiKey

LISTED = (ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.created_by, ApiKey.created_at, ApiKey.revoked_at,
          ApiKey.last_used_at)


async def add_api_key(name: str, key_hash: str, prefix: str, created_by: str, at: dt.datetime) -> dict:
    """Store a new key (its hash only); the row as listed."""
    rows = await ApiKey.insert(
        ApiKey(name=name, key_hash=key_hash, prefix=prefix, created_by=created_by[:254], created_at=at)
    ).returning(*LISTED)
    return rows[0]


async def api_keys() -> list[dict]:
    """Every key, the ones in use first, then by name."""
    rows = await ApiKey.select(*LISTED).order_by(ApiKey.name).order_by(ApiKey.id)
    return sorted(rows, key=lambda r: r["revoked_at"] is not None)


async def api_key_with_id(key_id: int) -> dict | None:
    return await ApiKey.select(*LISTED).where(ApiKey.id == key_id).first()


async def usable_key(key_hash: str, at: dt.datetime) -> dict | None:
    """The key with this hash if it is not revoked, its use recorded at `at`; None otherwise."""
    rows = await ApiKey.update({ApiKey.last_used_at: at}).where(
        (ApiKey.key_hash == key_hash) & ApiKey.revoked_at.is_null()
    ).returning(ApiKey.id, ApiKey.name)
    return rows[0] if rows else None


async def revoke_api_key(key_id: int, at: dt.datetime) -> bool:
    """Revoke the key from `at` on; False when there is no such key or it was already revoked."""
    rows = await ApiKey.update({ApiKey.revoked_at: at}).where(
        (ApiKey.id == key_id) & ApiKey.revoked_at.is_null()
    ).returning(ApiKey.id)
    return bool(rows)
