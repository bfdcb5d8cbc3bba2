"""Citizen follow-up pages: the private tracking page's "is it resolved?" answer, and the one-click stop of e-mails."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from portal.feedback import follow_up
from portal.feedback.lookups import read_private, reports_like
from portal.feedback.tracking import private_path
from portal.settings import Settings
from portal.web.cleaning import strip_control_characters
from portal.web.csrf import csrf_ok, with_csrf
from portal.web.i18n import N_, _, current_language
from portal.web.params import can_be_row_id
from portal.web.settings import settings_of

EXPIRED = N_("La page a expiré. Votre réponse est conservée : envoyez-la à nouveau.")


def _service_name(row: dict) -> str:
    lang = current_language.get()
    return row.get(f"service_name_{lang}") or row.get("service_name_fr") or ""


async def private_tracking_page(request: Request, row: dict, *, status: int = 200, error: str | None = None,
                                typed: dict | None = None) -> Template:
    """The citizen's own tracking page; asks "is the problem resolved?" when that is due."""
    context = {
        "item": row,
        "service_name": _service_name(row),
        "private": True,
        "similar_count": await reports_like(row["reference"]),
        "ask_resolved": follow_up.question_shown(row),
        "resolutions": [(value, _(label)) for value, label in follow_up.RESOLUTION_LABELS],
        "resolved_error": error,
        "typed": typed or {"answer": "", "comment": ""},
        "resolved_done": request.query_params.get("done") == "resolved",
        "max_comment": follow_up.MAX_COMMENT,
        "resolved_action": private_path(settings_of(request).secret_key, row["reference"]) + "/resolved",
    }
    return with_csrf(request, "citizen/track.html", context, status=status)


class FollowUpPages(Controller):
    path = "/"
    include_in_schema = False

    @post("/track/{reference:str}/{key:str}/resolved", status_code=303)
    async def answer_resolved(
        self, request: Request, settings: NamedDependency[Settings], reference: FromPath[str], key: FromPath[str],
        data: URLEncodedBody[dict[str, str]],
    ) -> Response:
        row = await read_private(request, reference, key, settings.secret_key)
        typed = {"answer": data.get("answer", ""), "comment": strip_control_characters(data.get("comment", ""))}
        if not csrf_ok(request, data):
            return await private_tracking_page(request, row, status=400, error=_(EXPIRED), typed=typed)
        try:
            await follow_up.answer_question(row, typed["answer"], typed["comment"])
        except follow_up.ResolutionError as exc:
            status = 409 if row.get("resolved") or not follow_up.question_shown(row) else 422
            return await private_tracking_page(request, row, status=status, error=_(exc.msgid), typed=typed)
        path = private_path(settings.secret_key, row["reference"])
        return Redirect(path=f"{path}?done=resolved#resolved", status_code=303)

    @get("/follow-up/stop/{feedback_id:str}/{signature:str}")
    async def confirm_stop(self, settings: NamedDependency[Settings], feedback_id: FromPath[str],
                           signature: FromPath[str]) -> Template:
        target = _signed(settings, feedback_id, signature)
        return _stop_page(invalid=target is None, done=False)

    @post("/follow-up/stop/{feedback_id:str}/{signature:str}", status_code=200)
    async def stop(self, settings: NamedDependency[Settings], feedback_id: FromPath[str], signature: FromPath[str]) -> Template:
        # No CSRF token: the signature is the authorisation, and mail clients' one-click (RFC 8058)
        # POSTs come without cookies.
        target = _signed(settings, feedback_id, signature)
        if target is None:
            return _stop_page(invalid=True, done=False)
        changed = await follow_up.stop(target)
        return _stop_page(invalid=False, done=True, changed=changed)


def _signed(settings: Settings, feedback_id: str, signature: str) -> int | None:
    """The feedback id of a genuine stop link; None for anything else."""
    if not (feedback_id.isascii() and feedback_id.isdigit() and len(feedback_id) <= 19) or not can_be_row_id(int(feedback_id)):
        return None
    target = int(feedback_id)
    return target if follow_up.stop_link_valid(settings.secret_key, target, signature) else None


def _stop_page(*, invalid: bool, done: bool, changed: bool = True) -> Template:
    return Template(template_name="email/follow_up_stop.html", status_code=404 if invalid else 200,
                    context={"invalid": invalid, "done": done, "changed": changed})
