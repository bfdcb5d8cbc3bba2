"""Liveness and readiness probes."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from portal.store.health import check_database


@get("/healthz", media_type="application/json", sync_to_thread=False, include_in_schema=True, tags=["health"])
def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


@get("/readyz", media_type="application/json", tags=["health"])
async def readyz(state: State) -> Response[dict]:
    """The database answers (and the classifier is loaded when this process runs the worker)."""
    checks: dict[str, str] = {}
    try:
        await check_database()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    model_state = state.get("model_state")
    if model_state is not None:
        checks["model"] = model_state
    ready = all(v in ("ok", "ready", "disabled") for v in checks.values())
    return Response({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)
