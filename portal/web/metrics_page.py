"""GET /metrics: the Prometheus text, to a bearer of PORTAL_METRICS_TOKEN or to an address of PORTAL_METRICS_ALLOW; 404 to anyone else."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, NotFoundException

from portal.settings import Settings
from portal.store.metrics import operating_figures
from portal.web.metrics import CONTENT_TYPE, StoreFigures, metrics_text

log = logging.getLogger("portal.metrics")


def _client_allowed(host: str | None, allowed: tuple[str, ...]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in allowed)


def _bearer(header: str | None) -> bytes:
    scheme, _, token = (header or "").partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" else b""


def may_read_metrics(settings: Settings, authorization: str | None, client_host: str | None) -> bool:
    """Raise NotFound when /metrics is not served to this client, NotAuthorized when its token is wrong."""
    allowed = settings.metrics_allow
    if not settings.metrics_token:
        if not (allowed and _client_allowed(client_host, allowed)):
            raise NotFoundException()
        return True
    if allowed and not _client_allowed(client_host, allowed):
        raise NotFoundException()
    if not hmac.compare_digest(_bearer(authorization), settings.metrics_token.encode()):
        raise NotAuthorizedException(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return True


@get("/metrics", include_in_schema=False)
async def metrics(request: Request, settings: NamedDependency[Settings]) -> Response[bytes]:
    """Every process's counts on this machine, then the queue, digest runs and devices as the store has them now."""
    may_read_metrics(settings, request.headers.get("authorization"), request.client.host if request.client else None)
    try:
        figures = await operating_figures()
    except Exception:  # noqa: BLE001 - the processes' counts still matter most when the database does not answer
        log.warning("metrics: the store did not answer; its figures are left out", exc_info=True)
        text = metrics_text(StoreFigures(readable=False))
    else:
        text = metrics_text(StoreFigures(
            queue=figures["queue"], oldest_pending_seconds=figures["oldest_pending_seconds"],
            digest_runs=figures["digest_runs"], kiosk_last_contact=figures["devices"],
            kiosks_never_seen=figures["never_seen"],
        ))
    return Response(text, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
