"""Partners' keys for the Open311 endpoint: issued once in clear, stored as a hash, checked, revoked; audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from portal.review import audit
from portal.store import api_keys as store
from portal.web.cleaning import has_control_characters

MAX_NAME = 100
PREFIX_LENGTH = 8
KEY_PREFIX = "g311_"  # so a key pasted in the wrong place is recognised
FROM_COMMAND_LINE = "command line"


class KeyNameProblem(ValueError):
    """The partner's name is empty, too long or holds a control character; nothing was stored."""


@dataclass(frozen=True)
class IssuedKey:
    row: dict
    key: str  # in clear: shown once, never stored


def key_hash(key: str) -> str:
    """What the store keeps of a key: its SHA-256 (a random key of 256 bits needs no slow hash)."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise KeyNameProblem("empty")
    if len(name) > MAX_NAME or has_control_characters(name):
        raise KeyNameProblem("too long" if len(name) > MAX_NAME else "control character")
    return name


async def issue_key(name: str, actor: dict | None, client: str = "") -> IssuedKey:
    """A new key for the partner `name` (raises KeyNameProblem); audited without the key."""
    name = checked_name(name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    created_by = actor["email"] if actor else FROM_COMMAND_LINE
    row = await store.add_api_key(name, key_hash(key), key[: len(KEY_PREFIX) + PREFIX_LENGTH], created_by,
                                  dt.datetime.now(dt.timezone.utc))
    await audit.record("create_api_key", actor, client=client, actor_email=None if actor else FROM_COMMAND_LINE,
                       detail={"api_key": row["id"], "name": name})
    return IssuedKey(row, key)


async def revoke_key(key_id: int, actor: dict | None, client: str = "") -> bool:
    """Revoke the key (False: no such key in use); audited."""
    revoked = await store.revoke_api_key(key_id, dt.datetime.now(dt.timezone.utc))
    if revoked:
        await audit.record("revoke_api_key", actor, client=client, actor_email=None if actor else FROM_COMMAND_LINE,
                           detail={"api_key": key_id})
    return revoked


async def listed_keys() -> list[dict]:
    return await store.api_keys()


async def partner_of(key: str | None) -> dict | None:
    """The partner's key row (id, name) when `key` is one in use; None for a missing, unknown or revoked key."""
    if not key or len(key) > 200:
        return None
    return await store.usable_key(key_hash(key), dt.datetime.now(dt.timezone.utc))
