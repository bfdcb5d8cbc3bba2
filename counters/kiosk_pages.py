"""The kiosk page, its service worker and its web app manifest."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Response, get
from litestar.response import Template

from counters.kiosk_words import kiosk_words

KIOSK_STATIC = Path(__file__).resolve().parent.parent / "portal" / "static" / "kiosk"


class KioskPages(Controller):
    path = "/kiosk"
    include_in_schema = False

    @get("/")
    async def kiosk(self) -> Template:
        # The same page for every device: what it asks comes from the device's saved configuration,
        # so the service worker can keep one copy for offline use.
        return Template(template_name="counters/kiosk.html", context={"words": kiosk_words()},
                        headers={"Cache-Control": "no-cache"})

    @get("/sw.js")
    async def service_worker(self) -> Response:
        return Response(
            (KIOSK_STATIC / "sw.js").read_bytes(),
            media_type="text/javascript",
            # Its scope must cover /kiosk itself, which sits above /kiosk/ where the script lives.
            headers={"Service-Worker-Allowed": "/kiosk", "Cache-Control": "no-cache"},
        )

    @get("/manifest.webmanifest")
    async def manifest(self) -> Response:
        return Response(
            (KIOSK_STATIC / "manifest.webmanifest").read_bytes(),
            media_type="application/manifest+json",
            headers={"Cache-Control": "no-cache"},
        )
