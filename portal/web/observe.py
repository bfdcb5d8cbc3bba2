"""Around every request: a request id (returned as X-Request-ID), one log line, and the request's figures."""

from __future__ import annotations

import logging
import re
import secrets
import time

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.web.logs import current_request_id
from portal.web.metrics import method_label, portal_metrics

log = logging.getLogger("portal.request")
HEADER = b"x-request-id"
# An id a proxy may hand on: short, plain characters, and not shaped like a reference or a private key.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_SECRET_SHAPED = re.compile(r"[A-Za-z]{3}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}|@")
UNMATCHED = "unmatched"


def new_request_id() -> str:
    return secrets.token_hex(8)


def request_id_for(incoming: bytes | None, from_trusted_proxy: bool) -> str:
    """The proxy's id when one of the trusted proxies sent a sane one; a new id otherwise."""
    if incoming and from_trusted_proxy:
        value = incoming.decode("latin-1")
        if _SANE_ID.match(value) and not _SECRET_SHAPED.search(value):
            return value
    return new_request_id()


def observe_requests(app: ASGIApp, trusted_proxies: tuple[str, ...]) -> ASGIApp:
    """Wrap the application (outside its router, so unknown paths are counted and logged too).

    The route label is the matched route's template (`/track/{reference}`), never the path
    itself, which may carry a reference or a key; a path no route matches is "unmatched". The query
    string is never logged. An incoming X-Request-ID is kept only behind PORTAL_TRUSTED_PROXIES,
    whose proxy must set it itself (nginx: `proxy_set_header X-Request-ID $request_id`).
    """
    metrics = portal_metrics()

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = next((v for k, v in scope.get("headers", ()) if k == HEADER), None)
        request_id = request_id_for(incoming, bool(trusted_proxies))
        scope.setdefault("state", {})["request_id"] = request_id
        token = current_request_id.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        method = method_label(scope.get("method", ""))
        metrics.requests_in_progress.inc()
        try:
            await app(scope, receive, send_with_id)
        finally:
            metrics.requests_in_progress.dec()
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or UNMATCHED
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.request_seconds.labels(method, route).observe(seconds)
            log.info("request", extra={"fields": {
                "method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)}})
            current_request_id.reset(token)

    return observed
