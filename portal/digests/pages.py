"""Portal pages for digests: one-click unsubscribe and the archive of sent digests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from portal.digests.render import ARCHIVE_LINK_DAYS, archive_link_expired, archived_html
from portal.review.sessions import LoginRequired, current_staff
from portal.settings import Settings
from portal.store.digest_runs import archived_run
from portal.store.subscriptions import get_subscription, unsubscribe
from portal.web.i18n import N_, _
from portal.web.params import can_be_row_id
from portal.web.signing import verify

# The archived e-mail is shown in a frame: inline styles allowed, no script, images from here only.
EMAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
Sig = Annotated[str | None, QueryParameter(name="sig", max_length=64)]
# What a sent digest's run is, on its archive page.
STATES = {"sent": N_("envoyée"), "claimed": N_("en cours"), "failed": N_("échec")}


class ArchiveLinkExpired(HTTPException):
    """A genuine archive link past its lifetime: the page says how to see the digest again."""

    status_code = 410

    def __init__(self, run_id: int):
        super().__init__(detail="This link has expired.")
        self.run_id = run_id


def _expired_link_page(request: Request, exc: ArchiveLinkExpired) -> Template:
    sign_in = "/staff/login?" + urlencode({"next": f"/digests/{exc.run_id}"})
    return Template(template_name="email/link_expired.html", status_code=410, context={
        "days": ARCHIVE_LINK_DAYS, "sign_in_url": sign_in,
    })


class DigestPages(Controller):
    path = "/digests"
    include_in_schema = False
    exception_handlers = {ArchiveLinkExpired: _expired_link_page}

    @get("/unsubscribe/{subscription_id:int}/{signature:str}")
    async def confirm_unsubscribe(
        self, settings: NamedDependency[Settings], subscription_id: FromPath[int], signature: FromPath[str]
    ) -> Template:
        subscription = await _signed_subscription(settings.secret_key, subscription_id, signature)
        if subscription is None:
            return _invalid_link_page()
        return _unsubscribe_page(subscription, done=False)

    @post("/unsubscribe/{subscription_id:int}/{signature:str}", status_code=200)
    async def unsubscribe(
        self, settings: NamedDependency[Settings], subscription_id: FromPath[int], signature: FromPath[str]
    ) -> Template:
        # No CSRF token: the signature is the authorisation, and mail clients' one-click
        # (RFC 8058) POSTs come without cookies.
        subscription = await _signed_subscription(settings.secret_key, subscription_id, signature)
        if subscription is None:
            return _invalid_link_page()
        changed = await unsubscribe(subscription_id)
        return _unsubscribe_page(subscription, done=True, changed=changed)

    @get("/{run_id:int}")
    async def archive(self, request: Request, settings: NamedDependency[Settings], run_id: FromPath[int], sig: Sig = None) -> Template:
        run = await _readable_run(request, settings.secret_key, run_id, sig)
        query = f"?sig={sig}" if sig else ""
        state = _(STATES[run["state"]]) if run["state"] in STATES else run["state"]
        return Template(template_name="email/archive.html", context={
            "run": run, "state_name": state, "frame_url": f"/digests/{run_id}/email{query}",
        })

    @get("/{run_id:int}/email", media_type="text/html")
    async def archived_email(
        self, request: Request, settings: NamedDependency[Settings], run_id: FromPath[int], sig: Sig = None
    ) -> Response:
        run = await _readable_run(request, settings.secret_key, run_id, sig)
        if not run["html"]:
            raise NotFoundException()
        chart = f"/digests/{run_id}/chart.png" + (f"?sig={sig}" if sig else "")
        return Response(archived_html(run["html"], chart), media_type="text/html",
                        headers={"content-security-policy": EMAIL_CSP, "x-frame-options": "SAMEORIGIN"})

    @get("/{run_id:int}/chart.png", media_type="image/png")
    async def chart(self, request: Request, settings: NamedDependency[Settings], run_id: FromPath[int], sig: Sig = None) -> Response:
        run = await _readable_run(request, settings.secret_key, run_id, sig)
        if not run["chart_png"]:
            raise NotFoundException()
        return Response(bytes(run["chart_png"]), media_type="image/png")


async def _readable_run(request: Request, secret: str, run_id: int, signature: str | None) -> dict:
    """The run, for a fresh link signed for it with `secret` (the one in the e-mail), an administrator, or the owner it was sent to.

    Anyone else signed in gets the same 404 as for a run that does not exist, so ids cannot be probed.
    """
    if not can_be_row_id(run_id):
        raise NotFoundException()
    if signature and verify(secret, "archive", run_id, signature):
        run = await archived_run(run_id)
        if run is None:
            raise NotFoundException()
        if not archive_link_expired(run, dt.datetime.now(dt.timezone.utc)):
            return run
        try:  # an expired link still opens the digest for its recipient once signed in
            staff = await current_staff(request)
        except LoginRequired:
            raise ArchiveLinkExpired(run_id) from None
        if not _may_read(staff, run):
            raise ArchiveLinkExpired(run_id)
        return run
    staff = await current_staff(request)  # not signed in: to the login page
    run = await archived_run(run_id)
    if run is None or not _may_read(staff, run):
        raise NotFoundException()
    return run


def _may_read(staff: dict, run: dict) -> bool:
    """Administrators, and the account the digest was sent to, whatever its role (owners and agents receive them)."""
    return staff["role"] == "admin" or staff["email"].strip().lower() == (run["recipient"] or "").strip().lower()


async def _signed_subscription(secret: str, subscription_id: int, signature: str) -> dict | None:
    if not can_be_row_id(subscription_id) or not verify(secret, "unsubscribe", subscription_id, signature):
        return None
    return await get_subscription(subscription_id)


def _invalid_link_page() -> Template:
    return Template(template_name="email/unsubscribe.html", status_code=404,
                    context={"invalid": True})


def _unsubscribe_page(subscription: dict, done: bool, changed: bool = True) -> Template:
    return Template(template_name="email/unsubscribe.html", context={
        "subscription": subscription, "done": done, "changed": changed, "active": subscription["active"],
        "invalid": False,
    })

