"""The store's readiness check: one cheap query that the database answers."""

from __future__ import annotations

from portal.store.core.tables import Service


async def check_database() -> None:
    """Ask the database one cheap question; raises whatever the driver raises when it does not answer."""
    await Service.count()
