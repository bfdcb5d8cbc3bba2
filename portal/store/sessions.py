"""Staff sessions in the store: one row per signed-in browser, found by the hash of its cookie token."""

from __future__ import annotations

import datetime as dt

from portal.store.workspace.tables import StaffSession

# What a session brings of its account (never the password hash).
USER_FIELDS = ("id", "email", "name", "role", "office", "active", "language")


async def add_session(
    token_hash: str, user_id: int, client: str, user_agent: str, at: dt.datetime, expires_at: dt.datetime,
    id_token: str = "",
) -> None:
    """Store a session opened at `at` for this account, until `expires_at` unless it is used again.

    `id_token` is the provider's ID token when the person signed in with OpenID Connect."""
    await StaffSession.insert(
        StaffSession(
            token_hash=token_hash,
            user=user_id,
            created_at=at,
            last_seen_at=at,
            expires_at=expires_at,
            client=client[:64],
            user_agent=user_agent[:200],
            id_token=id_token,
        )
    )


async def live_session(token_hash: str, now: dt.datetime) -> dict | None:
    """The unexpired session with this token hash: id, created_at, last_seen_at, and `user` (USER_FIELDS)."""
    row = (
        await StaffSession.select(
            StaffSession.id,
            StaffSession.created_at,
            StaffSession.last_seen_at,
            *(getattr(StaffSession.user, name).as_alias(f"user_{name}") for name in USER_FIELDS),
        )
        .where((StaffSession.token_hash == token_hash) & (StaffSession.expires_at > now))
        .first()
    )
    if row is None:
        return None
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "last_seen_at": row["last_seen_at"],
        "user": {name: row[f"user_{name}"] for name in USER_FIELDS},
    }


async def touch_session(session_id: int, seen_at: dt.datetime, expires_at: dt.datetime) -> None:
    """The session was used at `seen_at`: it now lasts until `expires_at`."""
    await StaffSession.update({StaffSession.last_seen_at: seen_at, StaffSession.expires_at: expires_at}).where(
        StaffSession.id == session_id
    )


async def session_id_token(token_hash: str) -> str:
    """The provider's ID token kept with this session ("" when none, or no such session)."""
    row = await StaffSession.select(StaffSession.id_token).where(StaffSession.token_hash == token_hash).first()
    return row["id_token"] if row else ""


async def delete_session(token_hash: str) -> None:
    """End the session with this token hash (nothing happens if there is none)."""
    await StaffSession.delete().where(StaffSession.token_hash == token_hash)


async def delete_sessions_of(user_id: int) -> int:
    """End every session of this account; how many there were."""
    rows = await StaffSession.delete().where(StaffSession.user == user_id).returning(StaffSession.id)
    return len(rows)
